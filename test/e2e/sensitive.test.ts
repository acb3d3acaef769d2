/**
 * Sensitive variables end to end, on the local node with raw_exec: the task gets the real value
 * (it prints its SHA-256), and no output of plan, apply, history, status or state shows it or
 * anything derived from it. Planfiles and the local state keep it, readable by the owner only.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drover, type CliResult } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-sensitive-'));
const FIRST = 's3cret-alpha-91';
const SECOND = 's3cret-bravo-27';
// Every form of the secrets the job derives (the local's DSN contains the secret itself).
const FORBIDDEN = [FIRST, SECOND, FIRST.toUpperCase(), SECOND.toUpperCase()];

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);
const jobFile = join(dir, 'vault.nomad.hcl');
writeFileSync(
  jobFile,
  `variable "password" {
  type      = string
  sensitive = true
}

locals {
  dsn = "postgres://app:\${var.password}@db/app"
}

job "secretive" {
  group "app" {
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "printf %s \\"$PASSWORD\\" | sha256sum | cut -d' ' -f1; exec sleep 600"]
      }
      env {
        PASSWORD = var.password
        DSN      = local.dsn
        SHOUT    = upper(var.password)
        PLAIN    = "visible"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
);

const outputs: Array<{ what: string; text: string }> = [];

/** Runs drover, keeps its output for the final check, and expects the exit code. */
async function run(args: string[], code = 0): Promise<CliResult> {
  const r = await drover(dir, args);
  outputs.push({ what: args.join(' '), text: r.stdout + r.stderr });
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(code);
  return r;
}

function leaks(text: string): string[] {
  return FORBIDDEN.filter((s) => text.includes(s));
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The hash the running task printed, once it printed it. */
async function printedHash(): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const r = await drover(dir, ['logs', 'secretive']);
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    if (/^[0-9a-f]{64}$/.test(line)) return line;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('the task printed no hash');
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

afterAll(async () => {
  const purge = await drover(dir, ['stop', '-auto-approve', '-purge', 'secretive']);
  rmSync(dir, { recursive: true, force: true });
  expect(purge.code, purge.stdout + purge.stderr).toBe(0);
});

describe('sensitive variables', () => {
  it('applies (text output) with the real value in the task and none in the output', async () => {
    await run(['apply', '-auto-approve', '-var', `password=${FIRST}`, jobFile]);
    expect(await printedHash()).toBe(sha256(FIRST));
  });

  it('plans a change to the value as a change it does not show', async () => {
    const text = await run(
      ['plan', '-detailed-exitcode', '-var', `password=${SECOND}`, jobFile],
      2,
    );
    expect(text.stdout).toContain('Env[PASSWORD]: (sensitive) => (sensitive)');
    expect(text.stdout).toMatch(/Env\[DSN\]: +\(sensitive\) => \(sensitive\)/);
    const json = await run(['plan', '-json', '-var', `password=${SECOND}`, jobFile]);
    // The diff's before and after of the password field, wherever the task's env sits.
    const env = [
      ...json.stdout.matchAll(
        /"name": "Env\[PASSWORD\]",[^}]*?"old": "([^"]*)",\s*"new": "([^"]*)"/g,
      ),
    ];
    expect(env.map((m) => [m[1], m[2]])).toEqual([['(sensitive)', '(sensitive)']]);
  });

  it('keeps the value in an owner-only planfile and state, which apply uses', async () => {
    const planfile = join(dir, 'change.plan');
    await run(['plan', '-out', planfile, '-var', `password=${SECOND}`, jobFile]);
    expect(mode(planfile)).toBe(0o600);
    expect(readFileSync(planfile, 'utf8')).toContain(SECOND);
    await run(['apply', '-json', planfile]);
    expect(await printedHash()).toBe(sha256(SECOND));
    const state = join(dir, '.drover', 'state.json');
    expect(mode(state)).toBe(0o600);
    expect(mode(`${state}.backup`)).toBe(0o600);
    expect(mode(join(dir, '.drover'))).toBe(0o700);
    expect(readFileSync(state, 'utf8')).toContain(SECOND);
  });

  it('shows neither value in history, status, alloc status, inspect or state show', async () => {
    const history = await run(['job', 'history', '-p', 'secretive']);
    expect(history.stdout).toContain('Env[PASSWORD]: (sensitive) => (sensitive)');
    await run(['job', 'history', '-p', '-json', 'secretive']);
    await run(['status', 'secretive']);
    const status = await run(['status', '-json', 'secretive']);
    const allocs = (JSON.parse(status.stdout) as { allocations: { id: string }[] }).allocations;
    await run(['status']);
    for (const a of allocs) await run(['alloc', 'status', a.id]);
    await run(['job', 'inspect', '-var', `password=${SECOND}`, jobFile]);
    const whole = await run(['state', 'show']);
    expect(whole.stdout).toContain('(sensitive)');
    await run(['state', 'show', 'job.secretive']);
    // Asked for explicitly, the recorded value is there.
    const shown = await drover(dir, ['state', 'show', '--show-sensitive', 'job.secretive']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(SECOND);
  });

  it('never printed a secret', () => {
    const leaked = outputs
      .map((o) => ({
        what: o.what.split(FIRST).join('…').split(SECOND).join('…'),
        leaks: leaks(o.text),
      }))
      .filter((o) => o.leaks.length > 0);
    expect(outputs.length).toBeGreaterThan(10);
    expect(leaked).toEqual([]);
  });
});
