// Benchmark: one command on an already open SSH connection. drover's ssh transport (ssh2, one
// kept-open connection, TCP_NODELAY) side by side with OpenSSH multiplexing over a ControlMaster
// (`ssh -o ControlMaster=auto -o ControlPath=… -o ControlPersist=60 host true`, a new ssh
// process per command as a script would run it), and ssh2 without TCP_NODELAY to show why it
// is set. The server is a real sshd on a loopback address that this benchmark starts and stops.
//
// Options (from bench/run.mjs): --ssh-runs=N (200 commands per row), --ssh-address=A
// (127.0.0.2; a loopback address).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { SSH_USER as USER, startSshd } from './lib/sshd.mjs';

export const name = 'ssh';
export const description =
  'a command on an open SSH connection: drover (ssh2, TCP_NODELAY) vs OpenSSH ControlMaster';
/** The options this benchmark understands (see the header). */
export const options = ['ssh-runs', 'ssh-address'];

const root = fileURLToPath(new URL('..', import.meta.url));
const execAsync = promisify(execFile);
/** Issue 5: a command on an open connection in at most this many milliseconds (median). */
const GOAL_MS = 5;
const WARMUP = 10;

export async function run(opts = {}, log = () => {}) {
  return runBenchmark(opts, log);
}

async function runBenchmark(opts, log) {
  const runs = Number(opts['ssh-runs'] ?? 200);
  const address = String(opts['ssh-address'] ?? '127.0.0.2');
  if (!/^127\.\d+\.\d+\.\d+$/.test(address)) throw new Error('--ssh-address must be 127.x.y.z');

  ensureBuilt(log);
  const { SshTransport } = await import(
    pathToFileURL(join(root, 'dist/providers/transports/ssh.js')).href
  );
  const { default: ssh2 } = await import('ssh2');

  const host = await startSshd(address, log);
  const rows = [];
  try {
    const node = {
      name: 'bench',
      transport: 'ssh',
      address,
      port: host.port,
      user: USER,
      identity: host.userKey,
      datacenter: 'dc1',
      meta: {},
      alloc_root: '/var/lib/drover/alloc',
    };
    const transport = new SshTransport(node, {
      home: host.dir,
      agentSocket: null,
      knownHostsFile: join(host.dir, 'known_hosts'),
    });
    try {
      rows.push(
        await measure(
          'drover ssh transport',
          'run(["true"]): ssh2, TCP_NODELAY, 1 connection',
          runs,
          log,
          async () => {
            const r = await transport.run(['true']);
            if (r.code !== 0) throw new Error(`true exited ${r.code}: ${r.stderr}`);
          },
        ),
      );
      rows.push(
        await measure(
          'drover ssh transport',
          'sh("true"): the script on stdin to sh -s',
          runs,
          log,
          async () => {
            const r = await transport.sh('true');
            if (r.code !== 0) throw new Error(`sh exited ${r.code}: ${r.stderr}`);
          },
        ),
      );
    } finally {
      await transport.close();
    }

    const plain = await ssh2Client(ssh2, address, host);
    try {
      rows.push(
        await measure('ssh2 without TCP_NODELAY', 'exec("true") on 1 connection', runs, log, () =>
          ssh2Exec(plain, 'true'),
        ),
      );
    } finally {
      plain.end();
    }

    const control = join(host.dir, 'cm');
    const sshArgs = [
      '-F',
      '/dev/null',
      '-i',
      host.userKey,
      '-p',
      String(host.port),
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      `UserKnownHostsFile=${join(host.dir, 'known_hosts_openssh')}`,
      '-o',
      'LogLevel=ERROR',
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${control}`,
      '-o',
      'ControlPersist=60',
      `${USER}@${address}`,
    ];
    // The first command starts the master; it is not measured.
    await execAsync('ssh', [...sshArgs, 'true']);
    try {
      rows.push(
        await measure(
          'OpenSSH ControlMaster',
          'ssh -o ControlMaster=auto … host true',
          runs,
          log,
          () => execAsync('ssh', [...sshArgs, 'true']).then(() => undefined),
        ),
      );
    } finally {
      await execAsync('ssh', [
        '-F',
        '/dev/null',
        '-o',
        `ControlPath=${control}`,
        '-O',
        'exit',
        `${USER}@${address}`,
      ]).catch(() => undefined);
    }
  } finally {
    await host.stop();
  }

  const drover = rows[0];
  const openssh = rows[rows.length - 1];
  return {
    name,
    title: `Benchmark "${name}": one command on an open SSH connection (${runs} runs each, after ${WARMUP} unmeasured)`,
    columns: [
      { key: 'client', label: 'client', align: 'left' },
      { key: 'how', label: 'how', align: 'left' },
      { key: 'runs', label: 'runs' },
      { key: 'median', label: 'median ms', format: ms },
      { key: 'p95', label: 'p95 ms', format: ms },
      { key: 'mean', label: 'mean ms', format: ms },
      { key: 'min', label: 'min ms', format: ms },
    ],
    rows,
    notes: [
      `A real OpenSSH server (${address}, user ${USER}, login shell /bin/sh) on this machine; ` +
        'commands run one after another, each timed from the call to its exit status.',
      'OpenSSH pays for a new ssh process per command on top of the multiplexed channel; ' +
        'drover keeps the connection inside its own process.',
      `drover is ${(openssh.median / drover.median).toFixed(1)}× faster than OpenSSH with ` +
        'ControlMaster at the median.',
    ],
    goals: [
      {
        text: `a command on an open connection ≤ ${GOAL_MS} ms (median ${drover.median.toFixed(2)} ms)`,
        met: drover.median <= GOAL_MS,
      },
    ],
    data: { runs, address },
  };
}

function ms(v) {
  return v.toFixed(2);
}

async function measure(client, how, runs, log, command) {
  for (let i = 0; i < WARMUP; i++) await command();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await command();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const row = {
    client,
    how,
    runs,
    median: percentile(times, 50),
    p95: percentile(times, 95),
    mean: times.reduce((s, t) => s + t, 0) / times.length,
    min: times[0],
  };
  log(`${client}, ${how}: median ${row.median.toFixed(2)} ms, p95 ${row.p95.toFixed(2)} ms`);
  return row;
}

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

async function ssh2Client(ssh2, address, host) {
  const client = new ssh2.Client();
  const privateKey = await readFile(host.userKey);
  await new Promise((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({ host: address, port: host.port, username: USER, privateKey });
  });
  return client;
}

function ssh2Exec(client, command) {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      channel.resume();
      channel.stderr.resume();
      channel.on('close', resolve);
      channel.end();
    });
  });
}

/** Builds dist/ when the transport's compiled output is missing or older than its sources. */
function ensureBuilt(log) {
  const built = join(root, 'dist/providers/transports/ssh.js');
  const sources = join(root, 'providers/transports');
  const newest = Math.max(
    ...readdirSync(sources)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(join(sources, f)).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('dist/ is missing or stale: running npm run build');
  try {
    // Compiler output goes to stderr so that `--json` keeps stdout clean.
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    // tsc still writes its output when other parts of the tree have type errors.
    if (!existsSync(built))
      throw new Error('npm run build did not produce dist/providers/transports/ssh.js');
  }
}
