/** The server's store wrapper times writes into the metrics and leaves every other call alone. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../../src/state/local.js';
import { timedWrites } from '../../../src/server/metrics/timed-store.js';
import type { Metrics } from '../../../src/server/types.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-timed-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('timedWrites', () => {
  it('samples state.write_duration per write, and reads pass through untimed', async () => {
    const samples: { name: string; ms: number; labels?: Record<string, string> }[] = [];
    const metrics: Metrics = {
      increment: () => undefined,
      gauge: () => undefined,
      sample: (name, ms, labels) => samples.push({ name, ms, ...(labels ? { labels } : {}) }),
    };
    const store = timedWrites(new LocalStateStore({ path: join(dir, 'state.json') }), metrics);
    const s = await store.read();
    expect(samples).toEqual([]);
    const written = await store.write(s, s.serial);
    expect(written.serial).toBe(s.serial + 1);
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({
      name: 'state.write_duration',
      labels: { operation: 'write' },
    });
    expect(samples[0]!.ms).toBeGreaterThanOrEqual(0);
    // A refused write is timed too, and still refused.
    await expect(store.write(s, s.serial)).rejects.toThrow();
    expect(samples).toHaveLength(2);
    expect(store.describe()).toContain('state.json');
  });
});
