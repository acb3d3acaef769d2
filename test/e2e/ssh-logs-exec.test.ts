/**
 * `drover logs` and `drover exec` on allocations of remote hosts (issue 5), through the built
 * CLI on two real OpenSSH hosts on loopback: logs and `-stderr`, `logs -f` streaming a line
 * printed after it started and ending on SIGINT or SIGKILL without leaving its reader on the
 * host, rotation at max_file_size read back across the files, exec with the exit code and the arguments of the remote command unchanged, and both refusing
 * a host whose key changed. First, a plan saved on first contact (which pins the host keys)
 * applies without being stale. The hosts are this machine, so the test looks at /proc.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { DROVER, drover, type CliResult } from './cli.js';
import { waitUntil, writeSshConfig } from './ssh-nodes.js';

/** Unique to this run: in the alloc root, so in every path and process of the job. */
const MARKER = `drover-e2e-logs-${process.pid}-${randomBytes(4).toString('hex')}`;
const ALLOC_PARENT = `/home/deploy/${MARKER}`;
const ADDRESSES = ['127.0.0.53', '127.0.0.54'] as const;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODES = ['l1', 'l2'] as const;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-logs-'));
const JOB = join(dir, 'talk.nomad.hcl');
/**
 * Says hello on stdout and stderr, then prints `late` each time `$NOMAD_TASK_DIR/go` appears,
 * and 36 700 lines of about 100 bytes (3.5 of its 1 MB log files) when `flood` does.
 */
const FLOOD_LINES = 36_700;
const TASK_SCRIPT =
  'echo "hello $NOMAD_ALLOC_INDEX"; echo "oops $NOMAD_ALLOC_INDEX" >&2; ' +
  `pad=${'x'.repeat(90)}; ` +
  'while :; do if [ -e "$NOMAD_TASK_DIR/go" ]; then rm -f "$NOMAD_TASK_DIR/go"; echo late; fi; ' +
  'if [ -e "$NOMAD_TASK_DIR/flood" ]; then rm -f "$NOMAD_TASK_DIR/flood"; i=0; ' +
  `while [ $i -lt ${FLOOD_LINES} ]; do echo "flood $i $pad"; i=$((i + 1)); done; echo flooded >&2; fi; ` +
  'sleep 0.1; done';
writeFileSync(
  JOB,
  `job "talk" {
  datacenters = ["*"]
  update {
    min_healthy_time = "1s"
  }
  group "g" {
    count = 2
    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", ${JSON.stringify(TASK_SCRIPT)}]
      }
      resources {
        cpu    = 50
        memory = 32
      }
      logs {
        max_files     = 2
        max_file_size = 1
      }
    }
  }
}
`,
);
let hosts: SshHost[] = [];

function writeConfig(): void {
  writeSshConfig(dir, hosts, NODES, `${ALLOC_PARENT}/alloc`);
}

async function ok(args: string[], stdin?: string): Promise<CliResult> {
  const r = await drover(dir, args, stdin === undefined ? {} : { stdin });
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

interface Alloc {
  id: string;
  index: number;
  node: string;
  desired_status: string;
  client_status: string;
}

async function runningAllocs(): Promise<Alloc[]> {
  const r = await ok(['status', 'talk', '-json']);
  return (JSON.parse(r.stdout) as { allocations: Alloc[] }).allocations
    .filter((a) => a.desired_status === 'run' && a.client_status === 'running')
    .sort((a, b) => a.index - b.index);
}

/** Live log readers (`sh -c LOG_READ_SCRIPT sh <logs>/<task>.stdout …`) of this run's logs. */
function tails(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const reads = (a: string): boolean => a.includes(MARKER) && /\.std(out|err)$/.test(a);
      if (cmdline[0] === 'sh' && cmdline.some(reads)) found.push(+entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** A process that runs (zombies do not: nothing may be left to reap them). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** `drover logs -f` as a live process, with what it printed so far. */
function follow(alloc: string) {
  const child = spawn(process.execPath, [DROVER, 'logs', '-f', alloc], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (seen.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (seen.stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, seen, exited };
}

beforeAll(async () => {
  hosts = await Promise.all(ADDRESSES.map((address) => startSshHost({ address })));
  writeConfig();
});

afterAll(async () => {
  // A host whose key the last test changed is trusted again so that stop reaches it.
  for (const n of NODES) await drover(dir, ['node', 'trust', n]);
  await drover(dir, ['stop', '-auto-approve', '-purge', 'talk']);
  await Promise.all(hosts.map((h) => h.stop()));
  rmSync(ALLOC_PARENT, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('logs and exec on remote allocations', () => {
  let allocs: Alloc[];

  it('a plan saved on first contact pins the host keys and applies as saved', async () => {
    const planfile = join(dir, 'talk.plan');
    await ok(['plan', '-out', planfile, JOB]);
    const state = JSON.parse(readFileSync(join(dir, '.drover', 'state.json'), 'utf8')) as {
      nodes: Record<string, { host_key?: { key: string } }>;
    };
    for (const [i, n] of NODES.entries())
      expect(state.nodes[n]?.host_key?.key).toBe(hosts[i]!.hostPublicKey.split(' ')[1]);
    await ok(['apply', planfile]);
    allocs = await runningAllocs();
    expect(allocs.map((a) => a.index)).toEqual([0, 1]);
    expect(new Set(allocs.map((a) => a.node))).toEqual(new Set(NODES));
  });

  it('logs prints stdout, -stderr standard error, of an allocation on each host', async () => {
    for (const a of allocs) {
      const out = await ok(['logs', a.id]);
      expect(out.stdout).toBe(`hello ${a.index}\n`);
      const err = await ok(['logs', '-stderr', a.id]);
      expect(err.stdout).toBe(`oops ${a.index}\n`);
    }
  });

  it('logs -f shows a line printed after it started, and SIGINT ends it and its reader on the host', async () => {
    const a = allocs[1]!;
    const f = follow(a.id);
    expect(await waitUntil(() => f.seen.stdout.includes('hello 1\n'), 10_000), f.seen.stderr).toBe(
      true,
    );
    expect(tails()).toHaveLength(1);
    await ok(['exec', a.id, '--', 'sh', '-c', 'touch "$NOMAD_TASK_DIR/go"']);
    expect(await waitUntil(() => f.seen.stdout.includes('late\n'), 10_000), f.seen.stderr).toBe(
      true,
    );
    f.child.kill('SIGINT');
    const [code] = await f.exited;
    expect(code, f.seen.stderr).toBe(0);
    expect(f.seen.stdout).toBe('hello 1\nlate\n');
    expect(await waitUntil(() => tails().length === 0, 5000), String(tails())).toBe(true);
  });

  it('a drover killed outright (SIGKILL) leaves no log reader on the host either', async () => {
    const f = follow(allocs[0]!.id);
    expect(await waitUntil(() => f.seen.stdout.includes('hello 0\n'), 10_000), f.seen.stderr).toBe(
      true,
    );
    expect(tails()).toHaveLength(1);
    f.child.kill('SIGKILL');
    await f.exited;
    expect(await waitUntil(() => tails().length === 0, 5000), String(tails())).toBe(true);
  });

  it('any streamed command ends when drover dies, though sshd sends it no signal', async () => {
    // `tail` may notice its reader is gone by itself; `sleep` never does.
    const h = hosts[0]!;
    const script = `
      import { SshTransport } from ${JSON.stringify(join(ROOT, 'dist/providers/transports/ssh.js'))};
      const t = new SshTransport(${JSON.stringify({
        name: 'l1',
        transport: 'ssh',
        address: h.address,
        port: h.port,
        user: h.user,
        identity: h.privateKeyPath,
        datacenter: 'dc1',
        meta: {},
        alloc_root: `${ALLOC_PARENT}/alloc`,
      })}, { knownHostsFile: '/dev/null' });
      t.stream(['sh', '-c', 'echo $$; exec sleep 300']).pipe(process.stdout);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await waitUntil(() => /^\d+\n/.test(out), 10_000)).toBe(true);
    const pid = Number(out.trim());
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const gone = await waitUntil(() => !alive(pid), 5000);
    if (!gone) process.kill(pid, 'SIGKILL');
    expect(gone).toBe(true);
  });

  it('exec runs in the allocation with its variables and returns the exit code', async () => {
    for (const a of allocs) {
      const r = await ok(['exec', a.id, '--', 'sh', '-c', 'echo "$NOMAD_ALLOC_INDEX"']);
      expect(r.stdout).toBe(`${a.index}\n`);
    }
    const exit7 = ['sh', '-c', 'echo no >&2; exit 7'];
    const failed = await drover(dir, ['exec', allocs[0]!.id, '--', ...exit7]);
    expect(failed).toMatchObject({ code: 7, stdout: '', stderr: 'no\n' });
  });

  it('exec passes arguments with spaces, quotes, $ and newlines unchanged, and stdin', async () => {
    const args = ['a b', "it's", '"q"', '$HOME', '`id`', 'x\ny', '', '*', '-n'];
    const r = await ok([
      'exec',
      allocs[0]!.id,
      '--',
      'sh',
      '-c',
      'for a; do printf "[%s]" "$a"; done',
      'sh',
      ...args,
    ]);
    expect(r.stdout).toBe(args.map((a) => `[${a}]`).join(''));
    const cat = await ok(['exec', allocs[0]!.id, '--', 'cat'], 'from stdin\n');
    expect(cat.stdout).toBe('from stdin\n');
  });

  it('logs rotate at max_file_size on the host, keep max_files, and logs reads across them', async () => {
    const a = allocs[0]!;
    await ok(['exec', a.id, '--', 'sh', '-c', 'touch "$NOMAD_TASK_DIR/flood"']);
    let flooded = false;
    for (let i = 0; i < 60 && !flooded; i++) {
      await new Promise((r) => setTimeout(r, 500));
      flooded = (await drover(dir, ['logs', '-stderr', a.id])).stdout.includes('flooded');
    }
    expect(flooded).toBe(true);
    // The host is this machine, its files are the deploy user's.
    const logsDir = join(ALLOC_PARENT, 'alloc', a.id, 'alloc', 'logs');
    const files = readdirSync(logsDir).filter((f) => f.startsWith('t.stdout.'));
    expect(files.sort()).toEqual(['t.stdout.2', 't.stdout.3']);
    expect(statSync(join(logsDir, 't.stdout.2')).size).toBe(1024 * 1024);
    expect(statSync(join(logsDir, 't.stdout.3')).size).toBeLessThanOrEqual(1024 * 1024);
    expect(statSync(join(logsDir, 't.stdout.2')).uid).toBe(statSync(ALLOC_PARENT).uid);
    const last = (await ok(['logs', '--tail', '3', a.id])).stdout;
    const pad = 'x'.repeat(90);
    expect(last).toBe(
      [FLOOD_LINES - 3, FLOOD_LINES - 2, FLOOD_LINES - 1]
        .map((i) => `flood ${i} ${pad}\n`)
        .join(''),
    );
    // Everything still on disk, in order: the end of the flood, no line lost at the joints.
    const all = (await ok(['logs', a.id])).stdout;
    expect(all.length).toBe(1024 * 1024 + statSync(join(logsDir, 't.stdout.3')).size);
    const whole = all.split('\n').slice(1, -1);
    const first = Number(whole[0]!.split(' ')[1]);
    expect(whole).toEqual(
      Array.from({ length: FLOOD_LINES - first }, (_, k) => `flood ${first + k} ${pad}`),
    );
  });

  it('logs and exec refuse a host whose key changed, naming the node and node trust', async () => {
    const a = allocs[0]!;
    const i = NODES.indexOf(a.node as (typeof NODES)[number]);
    const old = hosts[i]!;
    await old.stop();
    hosts[i] = await startSshHost({ address: old.address, port: old.port });
    writeConfig();
    const expected = new RegExp(
      `^error: host key of node ${a.node} \\(${old.address}:${old.port}\\) changed: expected SHA256:\\S+, got SHA256:\\S+; if this is expected, run \`drover node trust ${a.node}\`\n$`,
    );
    for (const args of [
      ['logs', a.id],
      ['logs', '-f', a.id],
      ['exec', a.id, '--', 'true'],
    ]) {
      const r = await drover(dir, args);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(expected);
    }
  });
});
