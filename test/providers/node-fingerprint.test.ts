import { describe, expect, it } from 'vitest';
import { ExecDriver } from '../../providers/drivers/exec.js';
import { JavaDriver } from '../../providers/drivers/java.js';
import { MockDriver } from '../../providers/drivers/mock.js';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import {
  detectionsScript,
  fingerprintThrough,
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
