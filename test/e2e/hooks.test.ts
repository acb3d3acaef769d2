/**
 * drover.hcl hooks through the real CLI (mock driver on the local node, local state): hooks run
 * inside the apply's lock with the apply's facts in DROVER_* variables and the caller's
 * environment; a failing pre-apply hook changes nothing; a failing pre-job hook leaves its job
 * alone; a failing post-apply hook changes nothing already done; a timed-out hook is killed;
 * hook output is in `drover audit -json` and `apply -json`; a planfile whose hooks drover.hcl no
 * longer gives is stale.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditRecord, StateSnapshot } from '../../src/state/types.js';
import { DROVER, drover } from './cli.js';
import { mockJob } from './mock-jobs.js';

const root = mkdtempSync(join(tmpdir(), 'drover-hooks-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the hooks are given by the caller (and pass on to a nested drover). */
const ENV = {
  DROVER_ACTOR: 'ci-bot',
  CI: 'true',
  NODE_BIN: process.execPath,
  CLI_BIN: DROVER,
  FROM_CALLER: 'kept',
};

function job(id: string, count: number): string {
  return mockJob(id, { count });
}

/** A directory with drover.hcl (node + the hooks given), jobs/ and executable scripts. */
class Repo {
  readonly dir: string;
  constructor(name: string) {
    this.dir = join(root, name);
    mkdirSync(join(this.dir, 'jobs'), { recursive: true });
    mkdirSync(join(this.dir, 'alloc'));
  }
  hooks(text: string): void {
    writeFileSync(
      join(this.dir, 'drover.hcl'),
      `node "local" {\n  transport  = "local"\n  alloc_root = "${join(this.dir, 'alloc')}"\n}\n${text}`,
    );
  }
  job(id: string, count: number): void {
    writeFileSync(join(this.dir, 'jobs', `${id}.hcl`), job(id, count));
  }
  script(name: string, body: string): void {
    writeFileSync(join(this.dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(this.dir, name), 0o755);
  }
  read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }
  /** The DROVER_* variables (and FROM_CALLER) a hook wrote with `env > FILE`. */
  env(name: string): Record<string, string> {
    return Object.fromEntries(
      this.read(name)
        .split('\n')
        .filter((l) => /^(DROVER_|FROM_CALLER=)/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }
  state(): StateSnapshot {
    return JSON.parse(this.read('.drover/state.json')) as StateSnapshot;
  }
  run(...args: string[]) {
    return drover(this.dir, args, { env: ENV });
  }
  async audit(): Promise<AuditRecord[]> {
    const r = await this.run('audit', '-json');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { records: AuditRecord[] }).records;
  }
}

/** A hook that writes its environment to FILE. */
const envTo = (file: string) => `["sh", "-c", "env > ${file}"]`;

describe('hooks around an apply', () => {
  const repo = new Repo('ok');
  repo.job('web', 1);
  // The pre-apply hook tries to apply from inside: the lock is held, so that must fail.
  repo.script(
    'lock-check.sh',
    [
      'ls .drover > lock-check.ls',
      '"$NODE_BIN" "$CLI_BIN" apply -auto-approve -lock-timeout=0s jobs > lock-check.out 2>&1',
      'echo $? > lock-check.code',
      'env > pre-apply.env',
      'echo "migrating for $DROVER_JOBS"',
      'echo "to stderr" >&2',
    ].join('\n'),
  );
  repo.hooks(`
hook "pre-apply" {
  command = ["./lock-check.sh"]
  timeout = "60s"
}
hook "pre-job" {
  command = ${envTo('pre-job.env')}
}
hook "post-job" {
  command = ${envTo('post-job.env')}
  jobs    = ["web"]
}
hook "on-failure" {
  command = ${envTo('on-failure.env')}
}
hook "post-apply" {
  command = ${envTo('post-apply.env')}
}
`);

  it('lists the hooks in the plan', async () => {
    const r = await repo.run('plan', 'jobs');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Hooks (run on this machine in drover.hcl's directory, while the state lock is held):\n" +
        '  pre-apply   ./lock-check.sh  (timeout 1m0s)\n' +
        '  pre-job     sh -c "env > pre-job.env"  for web  (timeout 5m0s)\n' +
        '  post-job    sh -c "env > post-job.env"  for web  (timeout 5m0s)\n' +
        '  on-failure  sh -c "env > on-failure.env"  (timeout 5m0s)\n' +
        '  post-apply  sh -c "env > post-apply.env"  (timeout 5m0s)\n',
    );
    const json = await repo.run('plan', '-json', 'jobs');
    const plan = JSON.parse(json.stdout) as { hooks: { kind: string }[] };
    expect(plan.hooks.map((h) => h.kind)).toEqual([
      'pre-apply',
      'pre-job',
      'post-job',
      'on-failure',
      'post-apply',
    ]);
  });

  it('runs them inside the lock, with the facts of the apply, and streams their output', async () => {
    const r = await repo.run('apply', '-auto-approve', 'jobs');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // Live output on stderr, prefixed with the hook's name.
    expect(r.stderr).toContain('[pre-apply (./lock-check.sh)] migrating for web\n');
    expect(r.stderr).toContain('[pre-apply (./lock-check.sh)] to stderr\n');

    // The lock was held while the hook ran: a nested apply could not take it.
    expect(repo.read('lock-check.ls')).toContain('state.lock');
    expect(repo.read('lock-check.code').trim()).toBe('1');
    expect(repo.read('lock-check.out')).toMatch(/lock/i);

    const [record] = await repo.audit();
    const hash = record!.plan_hash!;
    const common = {
      DROVER_OPERATION: 'apply',
      DROVER_PLAN_HASH: hash,
      DROVER_JOBS: 'web',
      DROVER_VERSIONS: 'web=->0',
      DROVER_ACTOR: 'ci-bot',
      FROM_CALLER: 'kept',
    };
    expect(repo.env('pre-apply.env')).toEqual({ ...common, DROVER_HOOK: 'pre-apply' });
    expect(repo.env('pre-job.env')).toEqual({
      ...common,
      DROVER_HOOK: 'pre-job',
      DROVER_JOB: 'web',
      DROVER_JOB_VERSION: '0',
    });
    expect(repo.env('post-job.env')).toEqual({
      ...common,
      DROVER_HOOK: 'post-job',
      DROVER_JOB: 'web',
      DROVER_JOB_VERSION: '0',
      DROVER_RESULT: 'ok',
    });
    expect(repo.env('post-apply.env')).toEqual({
      ...common,
      DROVER_HOOK: 'post-apply',
      DROVER_RESULT: 'ok',
    });
    expect(() => repo.read('on-failure.env')).toThrow(/ENOENT/); // the apply did not fail

    // The audit record keeps each hook's result, exit code, duration and output.
    expect(record!.result).toBe('ok');
    expect(record!.hooks!.map((h) => [h.name, h.result, h.exit_code])).toEqual([
      ['pre-apply (./lock-check.sh)', 'ok', 0],
      ['pre-job web (sh -c "env > pre-job.env")', 'ok', 0],
      ['post-job web (sh -c "env > post-job.env")', 'ok', 0],
      ['post-apply (sh -c "env > post-apply.env")', 'ok', 0],
    ]);
    expect(record!.hooks![0]!.output).toBe('migrating for web\nto stderr\n');
    expect(record!.hooks![0]!.duration_ms).toBeGreaterThan(0);
    const text = await repo.run('audit');
    expect(text.stdout).toMatch(/hook pre-apply \(\.\/lock-check\.sh\): ok \(exit 0, /);
  });

  it('runs none when the plan changes nothing', async () => {
    rmSync(join(repo.dir, 'post-apply.env'));
    const r = await repo.run('apply', '-auto-approve', 'jobs');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Hooks (');
    expect(() => repo.read('post-apply.env')).toThrow(/ENOENT/);
  });
});

describe('a failing pre-apply hook', () => {
  const repo = new Repo('pre-fails');
  repo.job('web', 1);
  repo.hooks('');
  repo.script('pre.sh', 'echo "checking the database"\nexit 3');

  it('stops the apply before any change, names the hook and its exit code, and runs on-failure', async () => {
    expect((await repo.run('apply', '-auto-approve', 'jobs')).code).toBe(0);
    repo.hooks(`
hook "pre-apply" {
  command = ["./pre.sh"]
}
hook "pre-apply" {
  command = ${envTo('second.env')}
}
hook "on-failure" {
  command = ${envTo('on-failure.env')}
}
hook "post-apply" {
  command = ${envTo('post-apply.env')}
}
`);
    repo.job('web', 3);
    const before = repo.state();
    const r = await repo.run('apply', '-auto-approve', 'jobs');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[pre-apply (./pre.sh)] checking the database\n');
    expect(r.stderr).toContain(
      'error: hook pre-apply (./pre.sh) exited with code 3: nothing was changed.',
    );
    const after = repo.state();
    // Only the audit record was written: jobs, allocations and deployments are as they were.
    expect(after.serial).toBe(before.serial + 1);
    expect(after.jobs).toEqual(before.jobs);
    expect(after.allocations).toEqual(before.allocations);
    expect(after.deployments).toEqual(before.deployments);
    expect(Object.values(after.allocations).filter((a) => a.desired_status === 'run')).toHaveLength(
      1,
    );
    // The hooks after it did not run; on-failure did, post-apply did not (nothing was applied).
    expect(() => repo.read('second.env')).toThrow(/ENOENT/);
    expect(() => repo.read('post-apply.env')).toThrow(/ENOENT/);
    expect(repo.env('on-failure.env')).toMatchObject({
      DROVER_HOOK: 'on-failure',
      DROVER_RESULT: 'failed',
      DROVER_VERSIONS: 'web=0->1',
    });
    const last = (await repo.audit()).at(-1)!;
    expect(last.result).toBe('failed');
    expect(last.exit_code).toBe(1);
    expect(last.hooks!.map((h) => [h.name, h.result, h.exit_code, h.output])).toEqual([
      ['pre-apply (./pre.sh)', 'failed', 3, 'checking the database\n'],
      ['on-failure (sh -c "env > on-failure.env")', 'ok', 0, ''],
    ]);
  });

  it('that times out is killed and stops the apply too', async () => {
    repo.hooks(`
hook "pre-apply" {
  command = ["sh", "-c", "echo waiting; sleep 30"]
  timeout = "500ms"
}
`);
    const before = repo.state();
    const started = Date.now();
    const r = await repo.run('apply', '-auto-approve', 'jobs');
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toMatch(
      /hook pre-apply \(sh -c "echo waiting; sleep 30"\) timed out after 500ms/,
    );
    expect(repo.state().jobs).toEqual(before.jobs);
    const last = (await repo.audit()).at(-1)!;
    expect(last.hooks![0]).toMatchObject({ result: 'timeout', output: 'waiting\n' });
  });
});

describe('drover interrupted while a hook runs', () => {
  const repo = new Repo('interrupted');
  repo.job('web', 1);
  repo.hooks(`
hook "pre-apply" {
  command = ["sh", "-c", "sleep 60 & echo $! > sleeper.pid; echo started; wait"]
}
`);

  it("passes Ctrl-C on to the hook's process group, which the terminal does not reach", async () => {
    const child = spawn(process.execPath, [DROVER, 'apply', '-auto-approve', 'jobs'], {
      cwd: repo.dir,
      env: { ...process.env, ...ENV, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('started') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/^\[pre-apply \(sh -c "sleep 60 .*\)\] started$/m);
    child.kill('SIGINT');
    expect(await ended).toBe('SIGINT');
    const sleeper = Number(repo.read('sleeper.pid'));
    await new Promise((r) => setTimeout(r, 200));
    expect(running(sleeper)).toBe(false);
  });
});

/** Whether a process runs (a zombie no one reaped does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('per-job and post hooks that fail', () => {
  const repo = new Repo('job-hooks');
  repo.job('api', 1);
  repo.job('web', 1);
  repo.hooks('');

  it('a failing pre-job hook leaves its job as it was; the other job goes on; exit 4', async () => {
    expect((await repo.run('apply', '-auto-approve', 'jobs')).code).toBe(0);
    repo.hooks(`
hook "pre-job" {
  command = ["sh", "-c", "echo no; exit 9"]
  jobs    = ["api"]
}
hook "post-apply" {
  command = ${envTo('post-apply.env')}
}
`);
    repo.job('api', 2);
    repo.job('web', 2);
    const r = await repo.run('apply', '-auto-approve', 'jobs');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      'api: not started: hook pre-job api (sh -c "echo no; exit 9") exited with code 9; the job was not changed.',
    );
    const s = repo.state();
    expect(s.jobs.api!.versions.map((v) => v.version)).toEqual([0]);
    expect(s.jobs.web!.versions.map((v) => v.version)).toEqual([0, 1]);
    expect(repo.env('post-apply.env')).toMatchObject({ DROVER_RESULT: 'failed' });
    const last = (await repo.audit()).at(-1)!;
    expect(last.result).toBe('failed');
    expect(last.jobs.find((j) => j.id === 'api')!.result).toBe('failed');
  });

  it('a failing post-apply hook undoes nothing and exits 1; -json carries the hooks', async () => {
    repo.hooks(`
hook "post-apply" {
  command = ["sh", "-c", "echo smoke test failed; exit 2"]
}
`);
    repo.job('web', 3);
    const r = await repo.run('apply', '-json', '-auto-approve', 'jobs/web.hcl');
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const hook = lines.find((l) => l.type === 'hook')!;
    expect(hook).toMatchObject({
      name: 'post-apply (sh -c "echo smoke test failed; exit 2")',
      result: 'failed',
      exit_code: 2,
      output: 'smoke test failed\n',
    });
    const result = lines.at(-1)!;
    expect(result).toMatchObject({ type: 'result', applied: true, exit_code: 1 });
    expect((result.hooks as unknown[]).length).toBe(1);
    expect(r.stderr).toContain(
      '[post-apply (sh -c "echo smoke test failed; exit 2")] smoke test failed',
    );
    // The change stays.
    expect(repo.state().jobs.web!.versions.map((v) => v.version)).toEqual([0, 1, 2]);
  });

  it('a planfile is stale once drover.hcl gives other hooks than it lists', async () => {
    repo.job('web', 4);
    const out = join(repo.dir, 'web.plan');
    expect((await repo.run('plan', '-out', out, 'jobs/web.hcl')).code).toBe(0);
    repo.hooks(`
hook "post-apply" {
  command = ["sh", "-c", "echo another"]
}
`);
    const r = await repo.run('apply', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plan is stale: drover.hcl's hooks changed since the plan was made/);
    expect(repo.state().jobs.web!.versions).toHaveLength(3);
  });
});
