/**
 * The CLI through a running `drover server` (a real child process), as a user with an address
 * but no state or hosts of their own works: apply through the server runs the job (raw_exec on
 * the local node, and a container on the real Docker engine); status, alloc status and logs
 * through it print what the direct commands print; a registration planned against a job that
 * changed since is refused as stale; commands with no way through a server refuse and change
 * nothing; an unreachable server is one line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, ApiResponseError } from '../../src/cli/api-client.js';
import { styler, type Output } from '../../src/cli/output.js';
import { planFiles, registerPlanned } from '../../src/cli/remote/apply.js';
import { Command } from 'commander';
import { processesWithEnv } from '../providers/process-harness.js';
import { ensureTestImages, removeContainersByLabel } from '../support/docker.js';
import { startServerProcess, type ServerProcess } from '../server/core/process.js';
import { drover, DROVER } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-remote-'));
const allocRoot = join(dir, 'alloc');
const dockerJob = `remote-docker-${process.pid}`;
let server: ServerProcess;
let address: string;

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
);

function rawExecJob(count: number): string {
  return `job "chatty" {
  group "g" {
    count = ${count}
    update {
      min_healthy_time = "1s"
    }
    task "talk" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello from $NOMAD_ALLOC_INDEX; echo line two; echo oops >&2; sleep 600"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}
writeFileSync(join(dir, 'chatty.nomad.hcl'), rawExecJob(1));
writeFileSync(join(dir, 'chatty2.nomad.hcl'), rawExecJob(2));
writeFileSync(
  join(dir, 'greeter.nomad.hcl'),
  `job "greeter" {
  type = "batch"
  parameterized {
    meta_required = ["who"]
  }
  group "g" {
    task "greet" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello $NOMAD_META_who"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`,
);
writeFileSync(
  join(dir, 'docker.nomad.hcl'),
  `job "${dockerJob}" {
  group "c" {
    update {
      min_healthy_time = "1s"
    }
    task "box" {
      driver       = "docker"
      kill_timeout = "1s"
      config {
        image   = "drover-test/busybox:v1"
        command = "sh"
        args    = ["-c", "echo hello from docker; sleep 600"]
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

/** The CLI in the test's directory, through the server unless `direct`. */
function cli(args: string[], opts: { direct?: boolean; env?: Record<string, string> } = {}) {
  // The address first: after `--` (exec's command) it would be the command's.
  return drover(dir, opts.direct ? args : ['-address', address, ...args], {
    ...(opts.env ? { env: opts.env } : {}),
  });
}

beforeAll(async () => {
  await ensureTestImages();
  server = await startServerProcess(dir);
  address = server.url;
}, 60_000);

afterAll(async () => {
  const purged = [
    await drover(dir, ['stop', '-auto-approve', '-purge', 'chatty']),
    await drover(dir, ['stop', '-auto-approve', '-purge', dockerJob]),
    await drover(dir, ['stop', '-auto-approve', '-purge', 'greeter']),
  ];
  await server?.stop();
  await removeContainersByLabel(`drover.job=${dockerJob}`);
  const leaked = processesWithEnv((env) =>
    env.some((v) => v.startsWith(`NOMAD_ALLOC_DIR=${allocRoot}/`)),
  );
  rmSync(dir, { recursive: true, force: true });
  for (const r of purged) expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(leaked).toEqual([]);
}, 60_000);

describe('the CLI through a server', () => {
  it('applies a raw_exec job through the server, which runs it', async () => {
    const r = await cli(['apply', '-auto-approve', 'chatty.nomad.hcl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+ Job: "chatty"');
    expect(r.stdout).toContain(`Planned by the drover server at ${address}.`);
    expect(r.stdout).toContain('chatty: registered version 0 on the server.');
    expect(r.stdout).toContain('Apply complete.');
    const status = await cli(['status', 'chatty', '-json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'running', running: 1, desired: 1 });
    // Nothing left to do: the same file plans no change.
    const again = await cli(['plan', '-detailed-exitcode', 'chatty.nomad.hcl']);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(again.stdout).toContain('No changes. Job "chatty" is up to date.');
  }, 60_000);

  it('prints status, alloc status and logs as the direct commands do', async () => {
    for (const args of [['status'], ['status', 'chatty']]) {
      const [direct, remote] = [await cli(args, { direct: true }), await cli(args)];
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stdout).toBe(direct.stdout);
    }
    const listed = JSON.parse((await cli(['status', '-json'])).stdout) as { jobs: unknown };
    const directList = JSON.parse((await cli(['status', '-json'], { direct: true })).stdout) as {
      jobs: unknown;
    };
    expect(listed.jobs).toEqual(directList.jobs);

    const id = (
      JSON.parse((await cli(['status', 'chatty', '-json'])).stdout) as {
        allocations: { id: string }[];
      }
    ).allocations[0]!.id;
    for (const args of [
      ['logs', 'chatty'],
      ['logs', '-stderr', id.slice(0, 8)],
      ['logs', '-tail', '1', 'chatty'],
      ['logs', '-task', 'talk', id],
    ]) {
      const [direct, remote] = [await cli(args, { direct: true }), await cli(args)];
      expect(remote.code, remote.stderr).toBe(0);
      expect([remote.stdout, remote.stderr]).toEqual([direct.stdout, direct.stderr]);
    }
    expect((await cli(['logs', 'chatty'])).stdout).toBe('hello from 0\nline two\n');
    expect((await cli(['logs', '-tail', '1', 'chatty'])).stdout).toBe('line two\n');

    // drover's event log is not in Nomad's API: everything above it is the same.
    const [direct, remote] = [
      await cli(['alloc', 'status', id.slice(0, 8)], { direct: true }),
      await cli(['alloc', 'status', id.slice(0, 8)]),
    ];
    expect(remote.code, remote.stderr).toBe(0);
    const head = (text: string) => text.split('\nRecent Events:')[0]!.trimEnd();
    expect(head(remote.stdout)).toBe(head(direct.stdout));
    expect(remote.stdout).toContain('Task "talk" is "running"');
    const unknown = await cli(['status', 'nope']);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      'error: no job "nope" in namespace "default"\n',
    ]);
  }, 60_000);

  it('follows a log through the server until interrupted', async () => {
    const child = spawn(process.execPath, [DROVER, 'logs', '-f', 'chatty', '-address', address], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (!out.includes('line two') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    // Still running: a followed log does not end on its own.
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toBe('hello from 0\nline two\n');
  }, 30_000);

  it('refuses a registration planned before the job changed on the server (EnforceIndex)', async () => {
    const lines: string[] = [];
    const o: Output = {
      out: (t) => void lines.push(t),
      err: (t) => void lines.push(t),
      json: false,
      style: styler(false),
      errStyle: styler(false),
      stdoutIsTTY: false,
    };
    const api = createApiClient({ address });
    const planned = await planFiles(
      api,
      o,
      [join(dir, 'chatty2.nomad.hcl')],
      { autoApprove: true },
      new Command(),
    );
    expect(planned?.plans[0]!.jobModifyIndex).toBe(1);
    expect(lines.join('\n')).toContain('+/- Count: "1" => "2"');
    // Someone else changes the job in between.
    const scaled = await cli(['scale', '-auto-approve', 'chatty', 'g', '3']);
    expect(scaled.code, scaled.stderr).toBe(0);
    const stale = await registerPlanned(api, planned!.plans[0]!, 'default').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(stale).toBeInstanceOf(ApiResponseError);
    expect((stale as ApiResponseError).message).toBe(
      'Enforcing job modify index 1: job exists with conflicting job modify index: 2',
    );
    const status = JSON.parse((await cli(['status', 'chatty', '-json'])).stdout) as {
      version: number;
      desired: number;
    };
    expect(status).toMatchObject({ version: 1, desired: 3 });
  }, 60_000);

  it('dispatches a parameterized job and sets node eligibility through the server', async () => {
    const applied = await cli(['apply', '-auto-approve', 'greeter.nomad.hcl']);
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    const d = await cli(['job', 'dispatch', '-auto-approve', '-meta', 'who=you', 'greeter']);
    expect([d.code, d.stderr]).toEqual([0, '']);
    const child = /^Dispatched Job ID = (greeter\/dispatch-\S+)$/m.exec(d.stdout)?.[1];
    expect(child).toBeDefined();
    const deadline = Date.now() + 20_000;
    let logs = '';
    while (!logs.includes('hello you') && Date.now() < deadline) {
      logs = (await cli(['logs', child!])).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(logs).toBe('hello you\n');

    const off = await cli(['node', 'eligibility', '-disable', '-auto-approve', 'local']);
    expect([off.code, off.stderr]).toEqual([0, '']);
    const node = async () =>
      (
        JSON.parse((await cli(['node', 'status', '-json'], { direct: true })).stdout) as {
          nodes: { eligibility: string }[];
        }
      ).nodes[0]!.eligibility;
    expect(await node()).toBe('ineligible');
    const on = await cli(['node', 'eligibility', '-enable', '-auto-approve', 'local']);
    expect([on.code, on.stdout]).toEqual([
      0,
      'Mark node "local" eligible for new allocations on the server.\nNode "local" is eligible.\n',
    ]);
    expect(await node()).toBe('eligible');
  }, 60_000);

  it('runs a container on the real Docker engine through the server', async () => {
    const r = await cli(['apply', '-auto-approve', 'docker.nomad.hcl']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('Apply complete.');
    for (const args of [
      ['status', dockerJob],
      ['logs', dockerJob],
    ]) {
      const [direct, remote] = [await cli(args, { direct: true }), await cli(args)];
      expect(remote.code, remote.stderr).toBe(0);
      expect([remote.stdout, remote.stderr]).toEqual([direct.stdout, direct.stderr]);
    }
    expect((await cli(['logs', dockerJob])).stdout).toBe('hello from docker\n');
    const stop = await cli(['stop', '-auto-approve', dockerJob]);
    expect([stop.code, stop.stdout]).toEqual([
      0,
      `Stop job "${dockerJob}" on the server.\nJob "${dockerJob}" stopped.\n`,
    ]);
    const status = JSON.parse((await cli(['status', dockerJob, '-json'])).stdout) as {
      status: string;
    };
    expect(status.status).toBe('dead (stopped)');
  }, 90_000);

  it('refuses commands that have no way through a server, and changes nothing', async () => {
    for (const [args, name] of [
      [['exec', 'chatty', '--', 'true'], 'exec'],
      [['state', 'list'], 'state list'],
      [['var', 'keyring'], 'var keyring'],
      [['node', 'trust', 'local'], 'node trust'],
    ] as const) {
      const r = await cli([...args]);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        1,
        '',
        `error: drover ${name} does not work through a server (-address or DROVER_ADDR): run it where the state is, without an address\n`,
      ]);
    }
    const vars = await cli(['var', 'list'], { direct: true });
    expect(vars.stdout).not.toContain('a/b');
    // DROVER_ADDR is an address as well.
    const env = await drover(dir, ['exec', 'chatty', '--', 'true'], {
      env: { DROVER_ADDR: address },
    });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('error: drover exec does not work through a server');
  }, 30_000);

  it('says in one line that a server cannot be reached', async () => {
    const r = await drover(dir, ['status', '-address', 'http://127.0.0.1:9']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      'error: cannot reach the drover server at http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9\n',
    ]);
  });
});
