// The behaviour every transport shares, as one suite that each transport's test runs against a
// real host, split by the capabilities a transport offers. Shell: programs get their arguments
// unchanged, scripts run in one round trip, files land whole with their mode, streams end on
// their own or when aborted, parallel commands respect the channel limit. Docker API: a client
// of the host's engine. TCP: ports on the host can be reached. Every transport: fingerprints
// carry Nomad's attributes, and a capability it lacks is refused with an error naming the node.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Duplex, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import {
  TRANSPORT_CAPABILITIES,
  capabilitiesOf,
  requireCapability,
  type DockerApi,
  type Shell,
  type TcpConnector,
  type Transport,
  type TransportCapability,
} from '../../providers/types.js';

export interface ConformanceSubject {
  transport: Transport;
  /**
   * A TCP server on the host that answers each line with `pong <line>`, for the connect tests;
   * defaults to a node echo server run through the transport's shell.
   */
  echoServer?(): Promise<{ port: number; stop(): Promise<void> }>;
  /** At most this many commands may run at once on the host; undefined when unlimited. */
  maxChannels?: number;
  /** Stops whatever the setup started. */
  cleanup(): Promise<void>;
}

/** Arguments a shell would mangle in every possible way; each must arrive byte for byte. */
export const HOSTILE_ARGS = [
  '',
  ' ',
  'two words',
  "it's",
  "''",
  '"double"',
  '$HOME',
  '${PATH}',
  '$(id)',
  '`id`',
  'a\nb',
  '\n',
  'tab\there',
  '*',
  '/*',
  '?',
  '[a-z]',
  '~',
  '~root',
  '-n',
  '--',
  'a;b',
  'a|b',
  'a&&b',
  '>out',
  '<in',
  '#comment',
  '!',
  '\\',
  "\\'",
  'ünïcödé ✓ 日本 🚀',
  '%s%d',
  'x=1',
  '{a,b}',
  '\r\n',
];

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The first line a stream prints. */
function firstLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        stream.off('data', onData);
        stream.pause();
        resolve(text.slice(0, nl));
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
    stream.once('end', () => reject(new Error(`stream ended before a line: ${text}`)));
  });
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The largest number of [start, end] intervals that overlap at one instant. */
export function maxOverlap(intervals: readonly (readonly [bigint, bigint])[]): number {
  const events = intervals.flatMap(([s, e]) => [
    { at: s, delta: 1 },
    { at: e, delta: -1 },
  ]);
  // At equal times an end comes before a start: touching intervals do not overlap.
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.delta - b.delta));
  let current = 0;
  let max = 0;
  for (const ev of events) {
    current += ev.delta;
    max = Math.max(max, current);
  }
  return max;
}

/** A TCP echo server for the host: prints its port, answers each line with `pong <line>`. */
const ECHO_SERVER = `
const net = require('net');
const server = net.createServer((s) => {
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) { s.write('pong ' + buf.slice(0, i) + '\\n'); buf = buf.slice(i + 1); }
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** How the node of the error messages is named: `node "<name>" (<kind> transport)`. */
function nodeLabel(t: Transport): string {
  return `node "${t.node.name}" (${t.node.transport} transport)`;
}

/**
 * Registers the suite for one transport. `offers` are the capabilities it must offer (and no
 * others): each one's tests run, and each one missing must be refused with a clear error.
 */
export function transportConformance(
  name: string,
  offers: readonly TransportCapability[],
  setup: () => ConformanceSubject | Promise<ConformanceSubject>,
): void {
  const has = (c: TransportCapability): boolean => offers.includes(c);
  describe(`${name} transport conformance`, () => {
    let subject: ConformanceSubject;
    let transport: Transport;

    beforeAll(async () => {
      subject = await setup();
      transport = subject.transport;
    });

    afterAll(async () => {
      await subject?.cleanup();
    });

    describe('capabilities', () => {
      it(`offers ${offers.join(', ') || 'none'}`, () => {
        expect(capabilitiesOf(transport)).toEqual(TRANSPORT_CAPABILITIES.filter(has));
      });

      const missing = TRANSPORT_CAPABILITIES.filter((c) => !has(c));
      if (missing.length > 0)
        it(`refuses what it lacks (${missing.join(', ')}), naming the node and who needed it`, () => {
          for (const cap of missing) {
            expect(() => requireCapability(transport, cap, 'the test')).toThrow(
              new RegExp(`^${escape(nodeLabel(transport))} .*: the test needs `),
            );
          }
        });

      if (!has('shell'))
        it('fails a process driver that needs a shell with that error, not a crash', async () => {
          const expected = `${nodeLabel(transport)} has no shell: the raw_exec driver needs one; use a node with transport "ssh" or "local"`;
          await expect(new RawExecDriver().detect(transport)).rejects.toThrow(expected);
          const fp = await transport.fingerprint();
          expect(fp.drivers.raw_exec).toMatchObject({
            detected: false,
            description: expected,
          });
        });
    });

    if (has('shell'))
      describe('shell', () => {
        shellConformance(() => ({
          shell: requireCapability(transport, 'shell', 'the suite'),
          maxChannels: subject.maxChannels,
        }));
      });

    if (has('dockerApi'))
      describe('Docker API', () => {
        let api: DockerApi;
        beforeAll(() => {
          api = requireCapability(transport, 'dockerApi', 'the suite');
        });

        it("gives one client of the host's engine, reused", async () => {
          const docker = await api.docker();
          expect(await api.docker()).toBe(docker);
          const info = (await docker.info()) as { ID?: string };
          expect(info.ID).toBeTruthy();
        });
      });

    if (has('tcp'))
      describe('connect', () => {
        let tcp: TcpConnector;
        beforeAll(() => {
          tcp = requireCapability(transport, 'tcp', 'the suite');
        });

        it('reaches a port of a server on the host', async () => {
          const server = await (subject.echoServer?.() ?? shellEchoServer(transport));
          try {
            const socket: Duplex = await tcp.connect(server.port);
            socket.write('ping\n');
            expect(await firstLine(socket)).toBe('pong ping');
            socket.destroy();
          } finally {
            await server.stop();
          }
        });

        it('rejects a port nothing listens on', async () => {
          await expect(tcp.connect(1, '127.0.0.1')).rejects.toThrow();
        });
      });

    describe('fingerprint', () => {
      it("fills Nomad's attributes from the host", async () => {
        const [fp, facts] = await Promise.all([transport.fingerprint(), hostFacts(transport)]);
        expect(fp.attributes['kernel.name']).toBe('linux');
        expect(fp.attributes['kernel.version']).toBe(facts.kernel);
        expect(fp.attributes['cpu.numcores']).toBe(facts.cores);
        expect(fp.attributes['unique.hostname']).toBe(facts.hostname);
        expect(fp.attributes['cpu.arch']).toMatch(/^(amd64|arm64)$/);
        expect(Number(fp.attributes['memory.totalbytes'])).toBeGreaterThan(0);
        expect(fp.attributes['os.name']).toMatch(/^[a-z]+$/);
        expect(fp.resources.cpu).toBeGreaterThan(0);
        expect(fp.resources.memory).toBeGreaterThan(0);
        expect(new Date(fp.fingerprinted_at).toISOString()).toBe(fp.fingerprinted_at);
        // Drivers are detected through the same transport: raw_exec wherever there is a shell.
        expect(fp.drivers.raw_exec).toMatchObject({ detected: has('shell') });
        expect(fp.attributes['driver.raw_exec']).toBe(has('shell') ? '1' : undefined);
      });
    });
  });
}

/** The facts a fingerprint must agree with, read through the shell or else the engine. */
async function hostFacts(
  t: Transport,
): Promise<{ cores: string; hostname: string; kernel: string }> {
  if (t.shell) {
    const r = await t.shell.sh('nproc; hostname; uname -r');
    const [cores = '', hostname = '', kernel = ''] = r.stdout.trim().split('\n');
    return { cores, hostname, kernel };
  }
  const info = (await (await requireCapability(t, 'dockerApi', 'the suite').docker()).info()) as {
    NCPU: number;
    Name: string;
    KernelVersion: string;
  };
  return { cores: String(info.NCPU), hostname: info.Name, kernel: info.KernelVersion };
}

/** An echo server on the host, run through its shell; stopping it ends the command. */
async function shellEchoServer(t: Transport): Promise<{ port: number; stop(): Promise<void> }> {
  const abort = new AbortController();
  const out = requireCapability(t, 'shell', 'the suite').stream(
    ['node', '-e', ECHO_SERVER],
    abort.signal,
  );
  const port = Number(await firstLine(out));
  expect(port).toBeGreaterThan(0);
  return {
    port,
    stop: async () => {
      out.resume();
      const closed = once(out, 'close');
      abort.abort();
      await closed;
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The shell capability's contract. */
function shellConformance(get: () => { shell: Shell; maxChannels: number | undefined }): void {
  let t: Shell;
  /** A scratch directory on the host, made and removed through the shell. */
  let scratch: string;

  beforeAll(async () => {
    t = get().shell;
    const r = await t.run(['mktemp', '-d']);
    expect(r).toMatchObject({ code: 0 });
    scratch = r.stdout.trim();
  });

  afterAll(async () => {
    if (t && scratch) await t.run(['rm', '-rf', scratch]);
  });

  describe('run', () => {
    it('returns the exit code, stdout and stderr apart', async () => {
      const r = await t.run(['sh', '-c', 'echo out; echo err >&2; exit 7']);
      expect(r).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    });

    it('passes hostile arguments through byte for byte', async () => {
      const r = await t.run(['printf', '%s\\0', ...HOSTILE_ARGS]);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE_ARGS);
    });

    it('passes a hostile program path and a hostile environment and cwd', async () => {
      const dir = `${scratch}/it's a $dir \`x\` *`;
      expect((await t.run(['mkdir', '-p', dir])).code).toBe(0);
      const env: Record<string, string> = {};
      HOSTILE_ARGS.forEach((value, i) => (env[`DROVER_H${i}`] = value));
      const script = HOSTILE_ARGS.map((_, i) => `printf '%s\\0' "$DROVER_H${i}"`).join('; ');
      const r = await t.run(['sh', '-c', `pwd; ${script}`], { env, cwd: dir });
      expect(r.code).toBe(0);
      const [pwd, ...values] = r.stdout.split('\n');
      expect(pwd).toBe(dir);
      expect(values.join('\n').split('\0').slice(0, -1)).toEqual(HOSTILE_ARGS);
    });

    it('feeds stdin to the program', async () => {
      const input = Buffer.from('line 1\nünï\0binary\r\n');
      const r = await t.run(['sha256sum'], { stdin: input });
      expect(r.stdout.split(' ')[0]).toBe(createHash('sha256').update(input).digest('hex'));
    });

    it('gives a program that reads stdin without input an immediate end of file', async () => {
      const r = await t.run(['cat'], { timeoutMs: 5_000 });
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    });

    it('reports a program that does not exist as 127', async () => {
      const r = await t.run(['/nonexistent/drover-program', 'x']);
      expect(r.code).toBe(127);
    });

    it('reports death by a signal as 128 + its number', async () => {
      const r = await t.run(['sh', '-c', 'kill -TERM $$']);
      expect(r.code).toBe(143);
    });

    it('kills a command that overruns its timeout and reports 124', async () => {
      const started = Date.now();
      const r = await t.run(['sleep', '10'], { timeoutMs: 300 });
      expect(r.code).toBe(124);
      expect(r.stderr).toMatch(/timed out after 300 ms/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  describe('sh', () => {
    it('runs several commands in one round trip, quotes and here-documents intact', async () => {
      const script = [
        'set -e',
        `a='single '"'"'quoted'"'"''`,
        'echo "$a"',
        "cat <<'EOF'",
        '$not_expanded `nor this`',
        'EOF',
        'echo "$DROVER_X in $(pwd)"',
        'exit 3',
      ].join('\n');
      const r = await t.sh(script, { env: { DROVER_X: "it's $x" }, cwd: scratch });
      expect(r).toEqual({
        code: 3,
        stdout: `single 'quoted'\n$not_expanded \`nor this\`\nit's $x in ${scratch}\n`,
        stderr: '',
      });
    });

    it('gives commands of the script an empty stdin, not the rest of the script', async () => {
      const r = await t.sh('cat\necho after');
      expect(r).toEqual({ code: 0, stdout: 'after\n', stderr: '' });
    });

    it('feeds the caller’s stdin to the script', async () => {
      const r = await t.sh('read -r line; echo "got $line"', { stdin: 'hello\n' });
      expect(r.stdout).toBe('got hello\n');
    });
  });

  describe('upload', () => {
    it('creates parent directories, writes the bytes and sets the mode', async () => {
      const content = Buffer.from([0, 1, 2, 255, 10, 13, 10, ...Buffer.from('ünï')]);
      const path = `${scratch}/a/b c/it's.bin`;
      await t.upload(path, content, 0o750);
      const r = await t.run(['sh', '-c', 'sha256sum <"$1"; stat -c %a "$1"', 'sh', path]);
      expect(r.stdout).toBe(`${createHash('sha256').update(content).digest('hex')}  -\n750\n`);
    });

    it('replaces an existing file and defaults to 0644', async () => {
      const path = `${scratch}/replace.txt`;
      await t.upload(path, 'old old old\n', 0o600);
      await t.upload(path, 'new\n');
      const r = await t.run([
        'sh',
        '-c',
        'cat "$1"; stat -c %a "$1"; ls -A "$(dirname "$1")"',
        'sh',
        path,
      ]);
      expect(r.stdout.split('\n').slice(0, 2)).toEqual(['new', '644']);
      // No temp file is left behind.
      expect(r.stdout).not.toMatch(/\.tmp/);
    });
  });

  describe('stream', () => {
    it("streams a command's output and ends with it", async () => {
      const out = t.stream(['sh', '-c', 'echo a; sleep 0.1; echo b']);
      expect(await readAll(out)).toBe('a\nb\n');
    });

    it('ends the command when aborted', async () => {
      const abort = new AbortController();
      const out = t.stream(['sh', '-c', 'echo $$; exec sleep 30'], abort.signal);
      const pid = await firstLine(out);
      expect(pid).toMatch(/^\d+$/);
      const ended = once(out, 'close');
      out.resume();
      abort.abort();
      await ended;
      const gone = await eventually(
        async () => (await t.run(['kill', '-0', pid])).code !== 0,
        3_000,
      );
      expect(gone).toBe(true);
    });
  });

  describe('parallel commands', () => {
    it('runs 20 commands at once, within the channel limit', async () => {
      const cmd = ['sh', '-c', 'date +%s%N; sleep 0.25; date +%s%N'];
      const results = await Promise.all(Array.from({ length: 20 }, () => t.run(cmd)));
      const intervals = results.map((r) => {
        expect(r.code).toBe(0);
        const [start, end] = r.stdout.trim().split('\n').map(BigInt);
        return [start!, end!] as const;
      });
      const overlap = maxOverlap(intervals);
      // They did run in parallel…
      expect(overlap).toBeGreaterThan(1);
      // …and never more of them than the transport allows.
      const { maxChannels } = get();
      if (maxChannels !== undefined) expect(overlap).toBeLessThanOrEqual(maxChannels);
    });
  });
}
