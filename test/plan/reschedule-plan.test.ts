/**
 * Reschedules in a computed plan and in its text: a failed allocation whose delay has not
 * passed is not replaced and the plan says when it is due; one past its delay is replaced with
 * its attempt; one whose attempts are used up is not, and the plan says the job is failed.
 */
import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { computePlan, type DesiredJob } from '../../src/plan/compute.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';

const SOURCE = `job "web" {
  group "web" {
    count = 2
    reschedule {
      attempts       = 3
      interval       = "1h"
      delay          = "30s"
      delay_function = "exponential"
      max_delay      = "5m"
      unlimited      = false
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
    }
  }
}
`;

function desired(): Extract<DesiredJob, { kind: 'run' }> {
  const d = new Diagnostics();
  const j = loadJobSource(SOURCE, 'web.hcl', { inputs: { vars: [], varFiles: [], env: {} } }, d);
  expect(d.items.filter((x) => x.severity === 'error')).toEqual([]);
  return {
    kind: 'run',
    id: 'web',
    job: j!.job,
    submitted: j!.submitted,
    source: SOURCE,
    filename: 'web.hcl',
  };
}

const FAILED_AT = Date.parse('2026-01-01T14:02:50.000Z');

function alloc(index: number, over: Partial<Allocation> = {}): Allocation {
  return {
    id: `0000000${index}-0000-4000-8000-000000000000`,
    job: 'web',
    version: 0,
    group: 'web',
    index,
    node: 'local',
    name: `web.web[${index}]`,
    desired_status: 'run',
    client_status: 'running',
    task_states: {},
    driver_handles: {},
    ports: [],
    created_at: '2026-01-01T14:00:00.000Z',
    modified_at: '2026-01-01T14:00:00.000Z',
    ...over,
  };
}

/** web[1] failed at FAILED_AT after one reschedule 2 minutes before (its delay was 30s). */
function state(tracker = 1): StateSnapshot {
  const d = desired();
  const s = emptyState('00000000-0000-4000-8000-000000000000');
  s.nodes.local = {
    name: 'local',
    inventory: { transport: 'local', datacenter: 'dc1' },
    eligibility: 'eligible',
    fingerprint: {
      fingerprinted_at: '2026-01-01T00:00:00Z',
      attributes: { 'kernel.name': 'linux' },
      resources: { cpu: 4000, memory: 8192 },
      drivers: { raw_exec: { detected: true, healthy: true } },
    },
  };
  s.jobs.web = {
    stopped: false,
    versions: [
      {
        version: 0,
        submitted_at: '2026-01-01T14:00:00.000Z',
        source: SOURCE,
        filename: 'web.hcl',
        submitted: d.submitted,
        ...encodeStoredJob(d.job),
        stable: true,
        status: 'running',
      },
    ],
  };
  const events = Array.from({ length: tracker }, (_, i) => ({
    time: new Date(FAILED_AT - (2 + i) * 60_000).toISOString(),
    prev_alloc: `prev-${i}`,
    prev_node: 'local',
    delay_ms: 30_000,
  })).reverse();
  s.allocations = {
    [alloc(0).id]: alloc(0),
    [alloc(1).id]: alloc(1, {
      client_status: 'failed',
      task_states: {
        t: {
          state: 'dead',
          failed: true,
          restarts: 0,
          finished_at: new Date(FAILED_AT).toISOString(),
          exit_code: 1,
        },
      },
      reschedule_tracker: { events },
    }),
  };
  return s;
}

const plan = (s: StateSnapshot, now: number) =>
  computePlan({
    desired: [desired()],
    state: s,
    classify: () => 'none',
    seed: 'reschedule-plan',
    now: new Date(now),
    droverVersion: 'test',
  });

describe('a plan with a failed allocation', () => {
  it('before the delay: no replacement, and when it is due (text and JSON)', () => {
    const p = plan(state(), FAILED_AT + 35_000);
    const g = p.jobs[0]!.groups[0]!;
    expect(p.jobs[0]!.type).toBe('none');
    expect(g.placements).toEqual([]);
    // The second attempt doubles the last delay: 60s after the failure.
    expect(g.reschedule_waits).toEqual([
      {
        alloc_id: alloc(1).id,
        name: 'web.web[1]',
        node: 'local',
        status: 'due',
        due_at: '2026-01-01T14:03:50.000Z',
        delay_ms: 60_000,
        attempt: 2,
        attempts: 3,
      },
    ]);
    expect(renderPlanText(p)).toContain(
      '00000001  web.web[1]  on local: replacement due at 14:03:50 (in 25s; reschedule delay 1m0s, attempt 2 of 3)',
    );
    // Not "up to date": the summary says what is still to come.
    expect(renderPlanText(p)).toContain(
      'No changes now. 1 replacement of failed allocations due from 14:03:50: plan or apply again then.',
    );
  });

  it('after the delay: replaced, with its attempt', () => {
    const p = plan(state(), FAILED_AT + 61_000);
    const g = p.jobs[0]!.groups[0]!;
    expect(g.reschedule_waits).toBeUndefined();
    expect(g.placements).toEqual([
      expect.objectContaining({
        name: 'web.web[1]',
        replaces: alloc(1).id,
        reschedule: { attempt: 2, attempts: 3, delay_ms: 60_000 },
      }),
    ]);
    expect(renderPlanText(p)).toMatch(
      /replace\s+\S+\s+web\.web\[1\].*reschedule attempt 2 of 3, delay 1m0s/,
    );
  });

  it('with its attempts used up: not replaced, and the job is failed', () => {
    const p = plan(state(3), FAILED_AT + 10 * 60_000);
    const g = p.jobs[0]!.groups[0]!;
    expect(g.placements).toEqual([]);
    expect(g.reschedule_waits).toEqual([
      expect.objectContaining({
        status: 'exhausted',
        attempt: 3,
        attempts: 3,
        interval_ms: 3_600_000,
      }),
    ]);
    expect(renderPlanText(p)).toContain(
      'web.web[1]  on local: not rescheduled: 3 of 3 reschedule attempts within 1h0m0s used; the job is failed',
    );
    expect(renderPlanText(p)).toContain(
      'No changes. Job "web" has failed allocations that are not rescheduled any more.',
    );
  });
});
