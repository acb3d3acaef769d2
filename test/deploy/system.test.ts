/**
 * System and sysbatch jobs through the operations layer (mock driver on three nodes, virtual
 * clock): one allocation per node, updates rolled node by node `stagger` apart, a failed batch
 * stops the rollout, a drain stops the node's allocation, sysbatch runs once per node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planDrain } from '../../src/ops/index.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { allocsOf, desiredJob, running, World } from './deployment-support.js';

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.dispose();
});

async function world(): Promise<World> {
  const w = await World.create({ nodes: [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }] });
  worlds.push(w);
  return w;
}

/** A system job of one mock task; `config` is the mock task's config. */
function agent(release: string, config = '', type = 'system') {
  const update =
    type === 'system'
      ? `update {
      max_parallel     = 1
      health_check     = "task_states"
      min_healthy_time = "5s"
      stagger          = "30s"
    }`
      : '';
  const source = `job "agent" {
  type        = "${type}"
  datacenters = ["dc1"]
  group "agent" {
    ${update}
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "agent" {
      driver = "mock"
      config {
        ${config}
      }
      env {
        RELEASE = "${release}"
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;
  return desiredJob(source, 'agent');
}

const nodesOf = (s: StateSnapshot, version?: number): string[] =>
  running(s, 'agent')
    .filter((a) => version === undefined || a.version === version)
    .map((a) => a.node)
    .sort();

/** When each allocation of the job was reported `status` by the apply, in order. */
function times(w: World, status: string): { node: string; at: number }[] {
  return w.events
    .filter((e) => e.ev.kind === 'alloc' && e.ev.status === status)
    .map((e) => ({ node: (e.ev as { node: string }).node, at: e.at }));
}

describe('a system job', () => {
  it('starts one allocation on every node at once, and the next plan is empty', async () => {
    const w = await world();
    const run = await w.apply([agent('v1')]);
    expect(run.outcomes.map((o) => o.ok)).toEqual([true]);
    expect(run.plan!.jobs[0]!.rollout!.groups[0]!.steps.map((s) => s.kind)).toEqual([
      'start',
      'gate',
    ]);
    expect(nodesOf(await w.read())).toEqual(['n1', 'n2', 'n3']);
    const again = await w.apply([agent('v1')]);
    expect(again.plan!.jobs[0]!.type).toBe('none');
  });

  it('replaces the allocations node by node, each batch gated on health, stagger apart', async () => {
    const w = await world();
    await w.apply([agent('v1')]);
    const before = w.events.length;
    const run = await w.apply([agent('v2')]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[true, 'none']]);
    expect(run.plan!.jobs[0]!.rollout!.groups[0]!.steps.map((s) => s.kind)).toEqual([
      'batch',
      'gate',
      'stagger',
      'batch',
      'gate',
      'stagger',
      'batch',
      'gate',
    ]);
    expect(nodesOf(await w.read(), 1)).toEqual(['n1', 'n2', 'n3']);
    w.events.splice(0, before);
    const starts = times(w, 'starting');
    const stops = times(w, 'stopping');
    expect(starts.map((s) => s.node)).toHaveLength(3);
    // Each node's old allocation stops only after the one before was healthy for 5 s and the
    // 30 s stagger passed: one node at a time.
    for (let i = 1; i < 3; i++)
      expect(stops[i]!.at - starts[i - 1]!.at).toBeGreaterThanOrEqual(35_000);
    expect(run.endedAt - run.startedAt).toBeGreaterThanOrEqual(3 * 5_000 + 2 * 30_000);
  });

  it('stops the rollout at the first node whose new allocation fails, leaving the others as they were', async () => {
    const w = await world();
    await w.apply([agent('v1')]);
    const run = await w.apply([agent('v2', 'run_for = "1s"\n        exit_code = 1')]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[false, 'failed']]);
    const s = await w.read();
    // The first node got the failing version; the two others still run version 0.
    expect(nodesOf(s, 0)).toHaveLength(2);
    expect(allocsOf(s, 'agent').filter((a) => a.version === 1)).toHaveLength(1);
  });

  it("stops a drained node's allocation and places it nowhere else", async () => {
    const w = await world();
    await w.apply([agent('v1')]);
    const run = await w.operate((ctx, observed) => planDrain(ctx, observed, 'n2', true));
    expect(run.plan!.jobs[0]!.groups[0]!.placements).toEqual([]);
    expect(run.plan!.jobs[0]!.groups[0]!.stops.map((x) => [x.node, x.reason])).toEqual([
      ['n2', 'alloc not needed as its node is draining'],
    ]);
    expect(nodesOf(await w.read())).toEqual(['n1', 'n3']);
    const again = await w.apply([agent('v1')]);
    expect(again.plan!.jobs[0]!.type).toBe('none');
  });

  it('leaves it running on a node drained with -ignore-system, which takes no new work', async () => {
    const w = await world();
    await w.apply([agent('v1')]);
    const run = await w.operate((ctx, observed) =>
      planDrain(ctx, observed, 'n2', true, { ignoreSystemJobs: true }),
    );
    expect(run.plan!.changes).toEqual([
      {
        kind: 'node',
        node: 'n2',
        eligibility: 'ineligible',
        drain: true,
        ignore_system_jobs: true,
      },
    ]);
    expect(run.plan!.jobs.every((j) => j.groups.every((g) => g.stops.length === 0))).toBe(true);
    const s = await w.read();
    expect(s.nodes.n2).toMatchObject({ drain: true, drain_ignore_system_jobs: true });
    expect(nodesOf(s)).toEqual(['n1', 'n2', 'n3']);
    // Later plans keep it there; an update replaces it on the nodes that take work only.
    expect((await w.apply([agent('v1')])).plan!.jobs[0]!.type).toBe('none');
    await w.apply([agent('v2')]);
    const after = await w.read();
    expect(nodesOf(after, 1)).toEqual(['n1', 'n3']);
    expect(nodesOf(after, 0)).toEqual(['n2']);
    // Ending the drain clears it.
    await w.operate((ctx, observed) => planDrain(ctx, observed, 'n2', false));
    expect((await w.read()).nodes.n2!.drain_ignore_system_jobs).toBeUndefined();
  });
});

describe('a sysbatch job', () => {
  it('runs to completion once on every node, and the next plan is empty', async () => {
    const w = await world();
    const job = () => agent('v1', 'run_for = "5s"\n        exit_code = 0', 'sysbatch');
    const run = await w.apply([job()]);
    expect(run.outcomes.map((o) => [o.ok, o.result])).toEqual([[true, 'none']]);
    const s = await w.read();
    expect(
      allocsOf(s, 'agent')
        .map((a) => [a.node, a.client_status])
        .sort(),
    ).toEqual([
      ['n1', 'complete'],
      ['n2', 'complete'],
      ['n3', 'complete'],
    ]);
    const again = await w.apply([job()]);
    expect(again.plan!.jobs[0]!.type).toBe('none');
  });
});
