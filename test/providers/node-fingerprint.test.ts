import { describe, expect, it } from 'vitest';
import { ExecDriver } from '../../providers/drivers/exec.js';
import { JavaDriver } from '../../providers/drivers/java.js';
import { MockDriver } from '../../providers/drivers/mock.js';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../providers/transports/local.js';
import {
  ALLOC_ROOT_ATTRIBUTE,
  NO_ALLOC_ROOT,
  allocRootCandidates,
  allocRootScript,
  detectionsScript,
  fingerprintThrough,
  readAllocRoot,
  splitDetections,
} from '../../providers/transports/node-fingerprint.js';
import type { Driver, ShellDetection } from '../../providers/types.js';
import { localTransportFixture, recordingScripts } from '../support/local-transport.js';

const drivers: Driver[] = [
  new RawExecDriver(),
  new ExecDriver(),
  new JavaDriver(),
  new MockDriver(),
];
const fixture = localTransportFixture('drover-node-fp-');

describe('fingerprintThrough', () => {
  it('reads the host and every shell-detected driver in one session, as each alone would', async () => {
    const local = fixture.transport();
    const { transport, scripts } = recordingScripts(local);
    const fp = await fingerprintThrough(transport, drivers, new Date(0));
    expect(scripts).toHaveLength(1);
    for (const driver of drivers) {
      const alone = await driver.detect(local);
      expect(fp.drivers[driver.name]).toMatchObject({
        detected: alone.detected,
        healthy: alone.healthy,
      });
      if (alone.detected)
        for (const [k, v] of Object.entries(alone.attributes)) expect(fp.attributes[k]).toBe(v);
    }
    // The host's facts are read from the same output.
    expect(fp.attributes['kernel.name']).toBe('linux');
    expect(fp.attributes['driver.raw_exec']).toBe('1');
  });

  it('gives each detection its own output and exit status, whatever the others print', async () => {
    const detection = (script: string): ShellDetection => ({
      script,
      timeoutMs: 5_000,
      read: (r) => ({ detected: r.code === 0, healthy: true, attributes: { out: r.stdout } }),
    });
    const script = detectionsScript([
      { name: 'a', detection: detection('echo one; echo two') },
      { name: 'b', detection: detection('printf "no newline"; exit 3') },
      { name: 'c', detection: detection('echo on stderr >&2; cat; true') },
    ]);
    const r = await fixture.transport().sh(script);
    expect(splitDetections(r.stdout)).toEqual(
      new Map([
        ['a', { code: 0, stdout: 'one\ntwo\n', stderr: '' }],
        ['b', { code: 3, stdout: 'no newline', stderr: '' }],
        // No input: `cat` ends at once.
        ['c', { code: 0, stdout: '', stderr: '' }],
      ]),
    );
  });

  it('marks a detection the host never reported as not detected', async () => {
    const broken: Driver = Object.assign(Object.create(new RawExecDriver()) as Driver, {
      name: 'broken',
      shellDetection: (): ShellDetection => ({
        script: 'kill -9 $$',
        timeoutMs: 5_000,
        read: (r) => ({ detected: r.code === 0, healthy: r.code === 0, attributes: {} }),
      }),
    });
    const fp = await fingerprintThrough(
      fixture.transport(),
      [broken, new RawExecDriver()],
      new Date(0),
    );
    // The host's shell died with it: nothing after it was reported either.
    expect(fp.drivers.broken?.detected).toBe(false);
  });
});

describe('the allocation root', () => {
  const node = (allocRoot: string, fallback?: string) => ({
    name: 'n',
    transport: 'local' as const,
    datacenter: 'dc1',
    meta: {},
    alloc_root: allocRoot,
    ...(fallback ? { alloc_root_fallback: fallback } : {}),
  });

  it('takes the first candidate the user can create and write, creating it', async () => {
    const fallback = join(fixture.dir(), 'fallback', 'alloc');
    const r = await fixture
      .transport()
      .sh(allocRootScript(allocRootCandidates(node('/etc/passwd/alloc', fallback))));
    const probe = readAllocRoot(r.stdout);
    expect(probe.chosen).toBe(fallback);
    expect(statSync(fallback).isDirectory()).toBe(true);
    expect(probe.refused).toHaveLength(1);
    expect(probe.refused[0]).toMatch(/^\/etc\/passwd\/alloc: mkdir: .*Not a directory/);
    expect(probe.user).toBe(userInfo().username);
  });

  it('expands ~/ to the home directory on the host', async () => {
    const home = join(fixture.dir(), 'home');
    const r = await fixture
      .transport()
      .sh(`HOME=${home}\n${allocRootScript(['~/.local/share/drover/alloc'])}`);
    expect(readAllocRoot(r.stdout).chosen).toBe(`${home}/.local/share/drover/alloc`);
  });

  it('records the chosen root, or marks the process drivers undetected saying how to fix it', async () => {
    const good = new LocalTransport(node(join(fixture.dir(), 'good')));
    const bad = new LocalTransport(node('/etc/passwd/alloc'));
    try {
      const ok = await fingerprintThrough(good, drivers, new Date(0));
      expect(ok.attributes[ALLOC_ROOT_ATTRIBUTE]).toBe(join(fixture.dir(), 'good'));
      expect(ok.drivers.raw_exec?.detected).toBe(true);

      const refused = await fingerprintThrough(bad, drivers, new Date(0));
      expect(refused.attributes[ALLOC_ROOT_ATTRIBUTE]).toBeUndefined();
      expect(refused.attributes['driver.raw_exec']).toBeUndefined();
      for (const name of ['raw_exec', 'exec', 'java']) {
        expect(refused.drivers[name]).toMatchObject({ detected: false, healthy: false });
        expect(refused.drivers[name]?.description).toMatch(
          new RegExp(
            `^${NO_ALLOC_ROOT} for user ${userInfo().username} \\(/etc/passwd/alloc: mkdir: .*\\): ` +
              `set alloc_root of node "n" in drover.hcl to a directory ${userInfo().username} can write, ` +
              `or make /etc/passwd/alloc writable by ${userInfo().username}$`,
          ),
        );
      }
      // Drivers that need no directory of drover's keep their detection.
      expect(refused.drivers.mock?.detected).toBe(true);
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });
});
