import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { computePlan, type DesiredJob } from '../../src/plan/compute.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';

function desired(id: string, body: string): DesiredJob {
  const src = `job "${id}" {\n${body}\n}\n`;
  const d = new Diagnostics();
  const j = loadJobSource(src, `${id}.hcl`, { inputs: { vars: [], varFiles: [], env: {} } }, d);
  expect(d.items.filter((x) => x.severity === 'error')).toEqual([]);
  return {
    kind: 'run',
    id,
    job: j!.job,
    submitted: j!.submitted,
    source: src,
    filename: `${id}.hcl`,
  };
}

const staticPortGroup = `group "g" {
  network {
    port "http" {
      static = 8080
    }
  }
  task "t" {
    driver = "raw_exec"
    config {
      command = "/bin/true"
    }
  }
}`;

function oneNode(): StateSnapshot {
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
  return s;
}

const inputs = (state: StateSnapshot, jobs: DesiredJob[]) => ({
  desired: jobs,
  state,
  classify: () => 'destructive' as const,
  seed: 'compute-test',
  now: new Date('2026-01-01T00:00:00Z'),
  droverVersion: 'test',
});

describe('computePlan', () => {
  it('places jobs one after another: the second cannot take a static port the first took', () => {
    const plan = computePlan(
      inputs(oneNode(), [desired('a', staticPortGroup), desired('b', staticPortGroup)]),
    );
    const [a, b] = plan.jobs;
    expect(a!.groups[0]!.placements).toHaveLength(1);
    expect(a!.groups[0]!.failures).toBeNull();
    expect(b!.groups[0]!.placements).toHaveLength(0);
    expect(b!.groups[0]!.failures?.reason).toMatch(/port/);
  });

  it('seals the plan with the state it was computed against', () => {
    const state = oneNode();
    state.serial = 7;
    const plan = computePlan(inputs(state, [desired('a', staticPortGroup)]));
    expect(plan.state).toEqual({ lineage: state.lineage, serial: 7 });
    expect(plan.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.jobs[0]!.type).toBe('create');
    expect(plan.jobs[0]!.payload?.filename).toBe('a.hcl');
  });
});
