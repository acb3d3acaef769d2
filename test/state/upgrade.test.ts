import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../src/jobspec/defaults.js';
import { emptyState, serializeState } from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { parseState } from '../../src/state/validate.js';

const LINEAGE = '6f1c2b9e-3a4d-4e5f-8a6b-7c8d9e0f1a2b';

/** A state as a drover before normalized jobs wrote it: the job with defaults, durations as text. */
function oldState(): StateSnapshot {
  const written = {
    id: 'web',
    group: [{ name: 'g', task: [{ name: 't', driver: 'raw_exec', kill_timeout: '20s' }] }],
  };
  return {
    ...emptyState(LINEAGE),
    jobs: {
      web: {
        stopped: false,
        versions: [
          {
            version: 0,
            submitted_at: '2026-01-02T03:04:05.000Z',
            source: 'job "web" {}\n',
            filename: 'web.nomad.hcl',
            submitted: written,
            job: Object.fromEntries(Object.entries(applyDefaults(written))),
            stable: true,
            status: 'running',
          },
        ],
      },
    },
  };
}

describe('reading a state written before jobs were stored normalized', () => {
  it('normalizes its job versions, so the next write stores the new form', () => {
    const text = serializeState(oldState());
    expect(text).toContain('"kill_timeout":"20s"');
    const read = parseState(text, 'state');
    const v = read.jobs.web!.versions[0]!;
    expect(v.job_format).toBe(2);
    const task = (v.job as { group: { task: { kill_timeout: unknown }[] }[] }).group[0]!.task[0]!;
    expect(task.kill_timeout).toBe(20_000);
    // Written again and read back: the new form, unchanged.
    const again = serializeState(read);
    expect(again).toContain('"job_format":2');
    expect(again).toContain('"kill_timeout":20000');
    expect(parseState(again, 'state')).toEqual(read);
  });

  it('keeps a state already in the current form as the same objects', () => {
    const read = parseState(serializeState(oldState()), 'state');
    const job = read.jobs.web!;
    const reread = parseState(serializeState(read), 'state');
    expect(reread.jobs.web!.versions[0]!.job_format).toBe(2);
    expect(reread.jobs.web).toEqual(job);
  });
});
