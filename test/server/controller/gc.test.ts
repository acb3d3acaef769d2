import { describe, expect, it } from 'vitest';
import { isEmpty, selectGarbage } from '../../../src/server/controller/gc.js';
import { alloc, deployment, iso, stateWith, T0, version } from './fixtures.js';

const HOUR = 3_600_000;
const NOW = T0 + 10 * HOUR;
const OLD = iso(T0);
const RECENT = iso(NOW - 60_000);

describe('selectGarbage', () => {
  it('takes stopped allocations older than the threshold, never live or pending ones', () => {
    const state = stateWith({
      jobs: { web: { versions: [version({ id: 'web' }, T0)] } },
      allocations: {
        old: alloc('old', {
          job: 'web',
          desired_status: 'stop',
          client_status: 'complete',
          modified_at: OLD,
        }),
        recent: alloc('recent', {
          job: 'web',
          desired_status: 'stop',
          client_status: 'complete',
          modified_at: RECENT,
        }),
        live: alloc('live', { job: 'web', modified_at: OLD }),
        failed: alloc('failed', { job: 'web', client_status: 'failed', modified_at: OLD }),
        pending: alloc('pending', {
          job: 'web',
          desired_status: 'stop',
          client_status: 'running',
          stop_pending: true,
          modified_at: OLD,
        }),
      },
    });
    const g = selectGarbage(state, NOW, 4 * HOUR);
    // A failed allocation meant to run still counts for its reschedule policy.
    expect(g.allocations).toEqual(['old']);
    expect(g.description).toBe('removed 1 stopped allocation (older than 4 h)');
  });

  it("keeps a live batch job's stopped allocations of its current version that completed", () => {
    const state = stateWith({
      jobs: { b: { versions: [version({ id: 'b', type: 'batch' }, T0)] } },
      allocations: {
        done: alloc('done', {
          job: 'b',
          desired_status: 'stop',
          client_status: 'complete',
          modified_at: OLD,
        }),
        lost: alloc('lost', {
          job: 'b',
          desired_status: 'stop',
          client_status: 'lost',
          modified_at: OLD,
        }),
      },
    });
    expect(selectGarbage(state, NOW, 4 * HOUR).allocations).toEqual(['lost']);
  });

  it("keeps each job's latest deployment and active ones", () => {
    const state = stateWith({
      deployments: {
        d1: deployment('d1', 'web', T0, 'successful'),
        d2: deployment('d2', 'web', T0 + HOUR, 'failed'),
        d3: deployment('d3', 'web', T0 + 2 * HOUR, 'successful'),
        e1: deployment('e1', 'api', T0, 'running'),
        e2: deployment('e2', 'api', T0 + HOUR, 'running'),
      },
    });
    expect(selectGarbage(state, NOW, 4 * HOUR).deployments).toEqual(['d1', 'd2']);
  });

  it('takes finished child jobs with their allocations, but the latest periodic child', () => {
    const launch = { parent: 'nightly', kind: 'periodic' as const };
    const child = (t: number) => `nightly/periodic-${(T0 + t) / 1000}`;
    const c1 = child(0);
    const c2 = child(HOUR);
    const c3 = child(2 * HOUR);
    const d1 = 'work/dispatch-1-abcdef01';
    const state = stateWith({
      jobs: {
        nightly: { versions: [version({ id: 'nightly', type: 'batch' }, T0)] },
        [c1]: { versions: [version({ id: c1, type: 'batch' }, T0, { launch })] },
        [c2]: { versions: [version({ id: c2, type: 'batch' }, T0 + HOUR, { launch })] },
        [c3]: { versions: [version({ id: c3, type: 'batch' }, T0 + 2 * HOUR, { launch })] },
        [d1]: {
          versions: [
            version({ id: d1, type: 'batch' }, T0, {
              launch: { parent: 'work', kind: 'dispatch' },
            }),
          ],
        },
      },
      allocations: {
        a1: alloc('a1', { job: c1, client_status: 'complete', modified_at: OLD }),
        a2: alloc('a2', { job: c2, client_status: 'running', modified_at: OLD }),
        a3: alloc('a3', { job: c3, client_status: 'complete', modified_at: OLD }),
        a4: alloc('a4', { job: d1, client_status: 'failed', modified_at: RECENT }),
      },
      deployments: { x: deployment('x', c1, T0, 'successful') },
    });
    const g = selectGarbage(state, NOW, 4 * HOUR);
    // c2 still runs, c3 is the latest periodic child, d1 ended a minute ago.
    expect(g.jobs).toEqual([c1]);
    expect(g.allocations).toEqual(['a1']);
    expect(g.deployments).toEqual(['x']);
    expect(selectGarbage(state, NOW + 5 * HOUR, 4 * HOUR).jobs).toEqual([c1, d1]);
  });

  it('is empty when nothing is old enough', () => {
    const state = stateWith({
      allocations: {
        a: alloc('a', {
          job: 'web',
          desired_status: 'stop',
          client_status: 'complete',
          modified_at: RECENT,
        }),
      },
    });
    expect(isEmpty(selectGarbage(state, NOW, 4 * HOUR))).toBe(true);
  });
});
