import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockDriver } from '../../providers/drivers/mock.js';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { LocalTransport, dockerOptions } from '../../providers/transports/local.js';
import type { Driver, NodeSpec } from '../../providers/types.js';
import { SETUP_HINT, dockerAvailable } from '../support/docker.js';

let dir: string;
let transport: LocalTransport;

function node(allocRoot: string): NodeSpec {
  return { name: 'local', transport: 'local', datacenter: 'dc1', meta: {}, alloc_root: allocRoot };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-local-'));
  transport = new LocalTransport(node(join(dir, 'alloc')));
});

afterAll(async () => {
  await transport.close();
  await rm(dir, { recursive: true, force: true });
});

describe('run', () => {
  it('passes argv unchanged, without a shell', async () => {
    const args = ['a b', '$HOME', '`id`', "it's", 'x\ny', '*', ''];
    const r = await transport.run(['printf', '%s|', ...args]);
    expect(r).toEqual({ code: 0, stdout: `${args.join('|')}|`, stderr: '' });
  });

  it('returns the exit code and both streams', async () => {
    const r = await transport.run(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(r).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('feeds stdin, sets env and cwd', async () => {
    const r = await transport.run(['sh', '-c', 'cat; echo "$DROVER_X"; pwd'], {
      stdin: 'input\n',
      env: { DROVER_X: 'value' },
      cwd: dir,
    });
    expect(r.stdout).toBe(`input\nvalue\n${dir}\n`);
  });

  it('reports a program that does not exist as 127', async () => {
    const r = await transport.run(['/nonexistent/program', 'x']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/^\/nonexistent\/program: spawn \/nonexistent\/program ENOENT\n$/);
  });

  it('reports death by a signal as 128 + its number', async () => {
    const r = await transport.run(['sh', '-c', 'kill -TERM $$']);
    expect(r.code).toBe(143);
  });

  it('kills a program that overruns timeoutMs and reports 124', async () => {
    const t0 = Date.now();
    const r = await transport.run(['sleep', '10'], { timeoutMs: 200 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.code).toBe(124);
    expect(r.stderr).toBe('sleep: timed out after 200 ms\n');
  });

  it('rejects an empty argv', async () => {
    await expect(transport.run([])).rejects.toThrow('run: empty argv');
  });
});

describe('sh', () => {
  it('runs a script in /bin/sh, several commands in one round trip', async () => {
    const r = await transport.sh('a=1; b=2; echo $((a + b)); echo "$0"');
    expect(r).toEqual({ code: 0, stdout: '3\n/bin/sh\n', stderr: '' });
  });
});

describe('upload', () => {
  it('creates parent directories, writes the content with the mode, and replaces', async () => {
    const path = join(dir, 'deep', 'er', 'file.txt');
    await transport.upload(path, 'one', 0o600);
    expect(await readFile(path, 'utf8')).toBe('one');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await transport.upload(path, Buffer.from('two'), 0o755);
    expect(await readFile(path, 'utf8')).toBe('two');
    expect((await stat(path)).mode & 0o777).toBe(0o755);
  });
});

describe('stream', () => {
  it("streams a command's stdout to its end", async () => {
    let out = '';
    for await (const chunk of transport.stream(['sh', '-c', 'echo one; echo two']))
      out += String(chunk);
    expect(out).toBe('one\ntwo\n');
  });

  it('kills the command when aborted', async () => {
    const file = join(dir, 'growing.log');
    await writeFile(file, 'first\n');
    const abort = new AbortController();
    const t0 = Date.now();
    let out = '';
    for await (const chunk of transport.stream(['tail', '-n', '+1', '-F', file], abort.signal)) {
      out += String(chunk);
      abort.abort();
    }
    expect(out).toBe('first\n');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(spawnSync('pgrep', ['-f', `tail -n \\+1 -F ${file}`]).status).toBe(1);
  });
});

describe('connect', () => {
  it('opens a TCP connection to a port on 127.0.0.1', async () => {
    const server = createServer((socket) => socket.end('hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const socket = await transport.connect(address.port);
    let data = '';
    for await (const chunk of socket) data += String(chunk);
    expect(data).toBe('hello');
    server.close();
  });

  it('rejects when nothing listens', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    server.close();
    await once(server, 'close');
    await expect(transport.connect(address.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reaches tasks on the loopback address', () => {
    expect(transport.hostAddress()).toBe('127.0.0.1');
  });
});

describe('docker', () => {
  it.each([
    [undefined, { socketPath: '/var/run/docker.sock' }],
    ['unix:///run/user/1000/docker.sock', { socketPath: '/run/user/1000/docker.sock' }],
    ['tcp://10.0.0.5:2375', { host: '10.0.0.5', port: 2375, protocol: 'http' }],
  ])('DOCKER_HOST %j', (value, options) => {
    expect(dockerOptions(value)).toEqual(options);
  });

  it('answers /_ping on the local engine', async () => {
    // scripts/test-hosts.sh starts the engine; without it this fails, as it must in CI.
    expect(await dockerAvailable(), SETUP_HINT).toBe(true);
    const docker = await transport.docker();
    expect(String(await docker.ping())).toBe('OK');
    expect(await transport.docker()).toBe(docker);
  });
});

describe('fingerprint', () => {
  it("reads this machine with Nomad's names, and each driver's detection", async () => {
    // Only name and detect matter to a fingerprint.
    const failing = {
      name: 'broken',
      detect: () => Promise.reject(new Error('no engine')),
    } as unknown as Driver;
    const t = new LocalTransport(node(join(dir, 'alloc')), {
      drivers: [new RawExecDriver(), new MockDriver(), failing],
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
    const fp = await t.fingerprint();
    expect(fp.fingerprinted_at).toBe('2026-01-02T03:04:05.000Z');
    const nproc = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim());
    expect(fp.attributes).toMatchObject({
      'kernel.name': 'linux',
      'cpu.arch': process.arch === 'x64' ? 'amd64' : process.arch,
      'cpu.numcores': String(nproc),
      'memory.totalbytes': String(totalmem()),
      'unique.hostname': hostname(),
      'driver.raw_exec': '1',
      'driver.mock': '1',
    });
    expect(fp.attributes['kernel.version']).toBe(
      spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    );
    expect(fp.attributes['unique.network.ip-address']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(Number(fp.attributes['cpu.totalcompute'])).toBe(fp.resources.cpu);
    expect(fp.resources.cores).toBe(nproc);
    expect(fp.resources.cores).toBeLessThanOrEqual(cpus().length);
    expect(fp.resources.memory).toBe(Math.floor(totalmem() / 1024 / 1024));
    expect(fp.resources.disk).toBeGreaterThan(0);
    expect(fp.drivers).toEqual({
      broken: { detected: false, healthy: false, description: 'no engine' },
      mock: { detected: true, healthy: true, attributes: { 'driver.mock': '1' } },
      raw_exec: { detected: true, healthy: true, attributes: { 'driver.raw_exec': '1' } },
    });
    expect(Object.keys(fp.attributes)).toEqual(Object.keys(fp.attributes).sort());
  });
});
