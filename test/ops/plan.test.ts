import { describe, expect, it } from 'vitest';
import {
  pendingStopWarnings,
  unfingerprintedWarnings,
  type Observed,
} from '../../src/ops/index.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { Allocation } from '../../src/state/types.js';

function unstopped(id: string, node: string): Allocation {
  return {
    id,
    job: 'web',
    version: 0,
    group: 'g',
    index: 0,
    node,
    name: `web.g[0]`,
    desired_status: 'stop',
    client_status: 'running',
    task_states: {},
    driver_handles: {},
    ports: [],
    created_at: '2026-01-01T00:00:00Z',
    modified_at: '2026-01-01T00:00:00Z',
  } as unknown as Allocation;
}

function observed(down: string[]): Observed {
  const state = emptyState('l');
  state.allocations = {
    a: unstopped('a', 'up'),
    b: unstopped('b', 'down'),
    c: unstopped('c', 'gone'),
  };
  return { stored: state, state, drift: [], down: down.map((node) => ({ node, reason: 'x' })) };
}

describe('pendingStopWarnings', () => {
  it('says what apply does about each node whose stops did not reach it', () => {
    const warnings = pendingStopWarnings(observed(['down']), (n) => n !== 'gone');
    const detail = (node: string) => warnings.find((w) => w.summary.includes(`"${node}"`))?.detail;
    expect(detail('up')).toContain('Apply stops them now.');
    expect(detail('down')).toContain('apply stops them once it does');
    // A node taken out of drover.hcl is never retried: the plan must not promise it.
    expect(detail('gone')).toContain('no longer in drover.hcl');
    expect(detail('gone')).not.toContain('Apply stops them now');
  });
});

describe('unfingerprintedWarnings', () => {
  it('names each configured node drover never looked at, but not a down one', () => {
    const state = emptyState('l');
    state.nodes = {
      seen: {
        name: 'seen',
        inventory: { transport: 'local' },
        eligibility: 'eligible',
        fingerprint: {
          fingerprinted_at: '2026-01-01T00:00:00Z',
          attributes: {},
          resources: { cpu: 1000, memory: 1024 },
          drivers: {},
        },
      },
    } as unknown as typeof state.nodes;
    const obs: Observed = {
      stored: state,
      state,
      drift: [],
      down: [{ node: 'off', reason: 'x' }],
    };
    const nodes = new Map(
      ['seen', 'fresh', 'off'].map((name) => [name, { name }]),
    ) as unknown as Parameters<typeof unfingerprintedWarnings>[1];
    const warnings = unfingerprintedWarnings(obs, nodes);
    expect(warnings.map((w) => w.summary)).toEqual([
      'node "fresh" has not been fingerprinted: nothing is placed on it',
    ]);
    expect(warnings[0]!.detail).toContain('-refresh=false');
  });
});
