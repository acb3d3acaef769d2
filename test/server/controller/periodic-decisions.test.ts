import { describe, expect, it } from 'vitest';
import { periodicDecisions } from '../../../src/server/controller/periodic.js';
import { alloc, iso, stateWith, T0, version } from './fixtures.js';

const HOUR = 3_600_000;
const parent = (over: Record<string, unknown> = {}) =>
  version(
    {
      id: 'nightly',
      type: 'batch',
      periodic: {
        crons: ['0 * * * *'],
        time_zone: 'UTC',
        prohibit_overlap: false,
        enabled: true,
        ...over,
      },
    },
    T0 - 10 * 60_000,
  );

function child(at: number) {
  const id = `nightly/periodic-${at / 1000}`;
  return [
    id,
    {
      versions: [
        version({ id, type: 'batch' }, at, { launch: { parent: 'nightly', kind: 'periodic' } }),
      ],
    },
  ] as const;
}

describe('periodicDecisions', () => {
  it('launches when the cron time has come, and says when the next one is', () => {
    const state = stateWith({ jobs: { nightly: { versions: [parent()] } } });
    // Submitted at 11:50; the first launch is at 12:00.
    const before = periodicDecisions(state, T0 - 5 * 60_000);
    expect(before.decisions).toEqual([]);
    expect(before.nextAt).toBe(T0);
    const at = periodicDecisions(state, T0 + 200);
    expect(at.decisions).toEqual([
      { parent: 'nightly', kind: 'launch', at: T0, reason: `launch time ${iso(T0)}` },
    ]);
    expect(at.nextAt).toBe(T0 + HOUR);
  });

  it('derives the last launch from the children: not launched twice for one time', () => {
    const state = stateWith({
      jobs: { nightly: { versions: [parent()] }, ...Object.fromEntries([child(T0 + HOUR)]) },
    });
    expect(periodicDecisions(state, T0 + HOUR + 30_000).decisions).toEqual([]);
  });

  it('launches once, not once per missed time, after the leader was away', () => {
    const state = stateWith({
      jobs: { nightly: { versions: [parent()] }, ...Object.fromEntries([child(T0 + HOUR)]) },
    });
    // Five launch times passed since the last child (14:00 … 18:00).
    const r = periodicDecisions(state, T0 + 6 * HOUR + 10 * 60_000);
    expect(r.decisions).toHaveLength(1);
    expect(r.decisions[0]).toMatchObject({ kind: 'launch', at: T0 + 6 * HOUR });
    expect(r.decisions[0]!.reason).toContain('was missed: launched once now (no catch-up');
  });

  it('skips a launch while a child runs with prohibit_overlap, and not without it', () => {
    const [id, js] = child(T0 + HOUR);
    const running = alloc('a1', { job: id, client_status: 'running' });
    const jobs = (overlap: boolean) => ({
      nightly: { versions: [parent({ prohibit_overlap: overlap })] },
      [id]: js,
    });
    const now = T0 + 2 * HOUR + 1_000;
    const skipped = periodicDecisions(
      stateWith({ jobs: jobs(true), allocations: { a1: running } }),
      now,
    );
    expect(skipped.decisions).toEqual([
      {
        parent: 'nightly',
        kind: 'skip',
        at: T0 + 2 * HOUR,
        reason: `launch of ${iso(T0 + 2 * HOUR)} skipped: prohibit_overlap and child "${id}" still runs`,
      },
    ]);
    // A skipped time is not launched late once the child ends.
    const considered = new Map([['nightly', T0 + 2 * HOUR]]);
    const ended = stateWith({
      jobs: jobs(true),
      allocations: { a1: { ...running, client_status: 'complete' } },
    });
    expect(periodicDecisions(ended, now + 60_000, considered).decisions).toEqual([]);
    expect(periodicDecisions(ended, T0 + 3 * HOUR, considered).decisions[0]?.kind).toBe('launch');
    expect(
      periodicDecisions(stateWith({ jobs: jobs(false), allocations: { a1: running } }), now)
        .decisions[0]?.kind,
    ).toBe('launch');
  });

  it('launches nothing for a disabled, stopped or parameterized job', () => {
    const now = T0 + HOUR + 1_000;
    const disabled = stateWith({ jobs: { nightly: { versions: [parent({ enabled: false })] } } });
    expect(periodicDecisions(disabled, now)).toEqual({ decisions: [] });
    const stopped = stateWith({ jobs: { nightly: { versions: [parent()], stopped: true } } });
    expect(periodicDecisions(stopped, now).decisions).toEqual([]);
    const p = parent();
    (p.job as Record<string, unknown>).parameterized = { payload: 'optional' };
    expect(
      periodicDecisions(stateWith({ jobs: { nightly: { versions: [p] } } }), now).decisions,
    ).toEqual([]);
  });

  it('reads the crons in the job time zone', () => {
    const state = stateWith({
      jobs: {
        nightly: {
          versions: [parent({ crons: ['0 3 * * *'], time_zone: 'Europe/Berlin' })],
        },
      },
    });
    // 03:00 in Berlin (winter) is 02:00 UTC.
    expect(periodicDecisions(state, T0).nextAt).toBe(Date.parse('2026-12-08T02:00:00Z'));
  });
});
