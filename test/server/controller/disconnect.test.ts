import { describe, expect, it } from 'vitest';
import { disconnectView } from '../../../src/server/controller/disconnect.js';
import type { NodeCondition } from '../../../src/server/controller/node-health.js';
import type { Observed } from '../../../src/ops/index.js';
import type { NodeState } from '../../../src/state/types.js';
import { alloc, stateWith, T0, version } from './fixtures.js';

const MIN = 60_000;
const DOWN_AT = T0;

function node(name: string): NodeState {
  return {
    name,
    inventory: { transport: 'ssh' },
    eligibility: 'eligible',
    fingerprint: {
      fingerprinted_at: '2026-12-07T11:00:00Z',
      attributes: {},
      resources: { cpu: 1000, memory: 1024 },
      drivers: {},
    },
  } as unknown as NodeState;
}

/** Job "web" with `disconnect` as given, a1 on n1 (which did not answer) and a2 on n2. */
function observed(disconnect?: Record<string, unknown>): Observed {
  const group = {
    name: 'g',
    count: 2,
    prevent_reschedule_on_lost: false,
    ...(disconnect ? { disconnect } : {}),
  };
  const stored = stateWith({
    jobs: { web: { versions: [version({ id: 'web', group: [group] }, T0 - MIN)] } },
    nodes: { n1: node('n1'), n2: node('n2') },
    allocations: {
      a1: alloc('a1', { job: 'web', node: 'n1' }),
      a2: alloc('a2', { job: 'web', node: 'n2', index: 1, name: 'web.g[1]' }),
    },
  });
  const lost = { ...stored.allocations.a1!, client_status: 'lost' as const };
  return {
    stored,
    state: { ...stored, allocations: { ...stored.allocations, a1: lost } },
    drift: [
      {
        allocId: 'a1',
        name: 'web.g[0]',
        node: 'n1',
        from: 'running',
        to: 'lost',
        reason: 'node "n1" did not answer',
      },
    ],
    down: [{ node: 'n1', reason: 'connection refused' }],
  };
}

const cond =
  (n1: NodeCondition['kind']) =>
  (name: string): NodeCondition =>
    name !== 'n1' || n1 === 'up'
      ? { kind: 'up' }
      : { kind: n1, since: DOWN_AT - 3_000, reason: 'connection refused', downAt: DOWN_AT };

describe('disconnectView', () => {
  it('leaves a node within its grace period unjudged: allocations as recorded, nothing placed there', () => {
    const v = disconnectView(observed(), cond('silent'), DOWN_AT - 1_000);
    expect(v.observed.state.allocations.a1?.client_status).toBe('running');
    expect(v.observed.drift).toEqual([]);
    expect(v.observed.down).toEqual([]);
    expect(v.observed.state.nodes.n1?.fingerprint).toBeUndefined();
    expect(v.observed.state.nodes.n2?.fingerprint).toBeDefined();
  });

  it('lets the allocations of a down node be lost at once without a disconnect block', () => {
    const o = observed();
    const v = disconnectView(o, cond('down'), DOWN_AT + 1_000);
    expect(v.observed).toEqual(o);
    expect(v.decisions).toEqual([]);
    expect(v.nextAt).toBeUndefined();
  });

  it('keeps an unknown allocation out of the plan until lost_after with replace = true', () => {
    const v = disconnectView(
      observed({ lost_after: 5 * MIN, replace: true }),
      cond('down'),
      DOWN_AT + MIN,
    );
    // Left out: the plan places a replacement; the original stays recorded as it was.
    expect(v.observed.state.allocations.a1).toBeUndefined();
    expect(v.observed.stored.allocations.a1?.client_status).toBe('running');
    expect(v.observed.drift).toEqual([]);
    expect(v.observed.down.map((d) => d.node)).toEqual(['n1']);
    expect(v.nextAt).toBe(DOWN_AT + 5 * MIN);
    expect(v.decisions).toEqual([
      expect.objectContaining({
        kind: 'held',
        alloc: 'a1',
        reason: expect.stringContaining('replaced, the original is kept'),
      }),
    ]);
    // After lost_after it is lost like any other.
    const later = disconnectView(
      observed({ lost_after: 5 * MIN }),
      cond('down'),
      DOWN_AT + 5 * MIN,
    );
    expect(later.observed.state.allocations.a1?.client_status).toBe('lost');
    expect(later.decisions).toEqual([]);
  });

  it('keeps an unknown allocation as it is, not replaced, with replace = false (and the older max_client_disconnect)', () => {
    for (const o of [
      observed({ lost_after: 5 * MIN, replace: false }),
      (() => {
        const x = observed();
        const g = (x.stored.jobs.web!.versions[0]!.job as { group: Record<string, unknown>[] })
          .group[0]!;
        g.max_client_disconnect = 5 * MIN;
        g.prevent_reschedule_on_lost = true;
        return x;
      })(),
    ]) {
      const v = disconnectView(o, cond('down'), DOWN_AT + MIN);
      expect(v.observed.state.allocations.a1?.client_status).toBe('running');
      expect(v.observed.down).toEqual([]);
      expect(v.observed.state.nodes.n1?.fingerprint).toBeUndefined();
      expect(v.decisions[0]?.reason).toContain('kept, not replaced (replace = false)');
    }
  });

  it('stops one of an original and its replacement when the node reconnects, as disconnect.reconcile says', () => {
    const pair = (reconcile: string) => {
      const o = observed({ lost_after: 5 * MIN, reconcile });
      const a3 = alloc('a3', {
        job: 'web',
        node: 'n2',
        created_at: new Date(T0 + MIN).toISOString(),
      });
      const stored = { ...o.stored, allocations: { ...o.stored.allocations, a3 } };
      return disconnectView(
        { stored, state: stored, drift: [], down: [] },
        cond('up'),
        DOWN_AT + 2 * MIN,
      );
    };
    const kept = pair('keep_original');
    expect(kept.observed.state.allocations.a3?.client_status).toBe('lost');
    expect(kept.observed.state.allocations.a1?.client_status).toBe('running');
    expect(kept.decisions[0]).toMatchObject({ kind: 'reconnect', alloc: 'a3' });
    expect(pair('best_score').decisions[0]?.alloc).toBe('a3');
    const replaced = pair('keep_replacement');
    expect(replaced.observed.state.allocations.a1?.client_status).toBe('lost');
    expect(replaced.decisions[0]?.reason).toContain('keeps the replacement a3');
  });
});
