import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource, type LoadedJob } from '../../src/jobspec/load.js';
import { ApplyGate, notStarted, refuseDetached } from '../../src/ops/apply-gate.js';
import { computePlan, type DesiredJob } from '../../src/plan/compute.js';
import { planHash } from '../../src/plan/hash.js';
import { afterList, orderJobs, recordedReadiness, type OrderInput } from '../../src/plan/order.js';
import { checkPlanSchema } from '../../src/plan/render-json.js';
import { renderOrder } from '../../src/plan/render-order.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';

/** A job file whose meta holds `entries`, each on its own line (line 3 onwards). */
function load(id: string, entries: Record<string, string> = {}): LoadedJob {
  const meta = Object.entries(entries)
    .map(([k, v]) => `    ${JSON.stringify(k)} = ${JSON.stringify(v)}`)
    .join('\n');
  const src = `job "${id}" {\n  meta = {\n${meta}\n  }\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "/bin/true"\n      }\n    }\n  }\n}\n`;
  const d = new Diagnostics();
  const j = loadJobSource(
    src,
    `jobs/${id}.hcl`,
    { inputs: { vars: [], varFiles: [], env: {} } },
    d,
  );
  expect(d.items.filter((x) => x.severity === 'error')).toEqual([]);
  return j!;
}

const input = (j: LoadedJob): OrderInput => ({ id: j.id, meta: j.job.meta, ranges: j.ranges });
const nothingRecorded = () => undefined;
const ids = (r: ReturnType<typeof orderJobs>) => r.order?.map((e) => e.job);
const where = (r: ReturnType<typeof orderJobs>) =>
  r.diagnostics.map((d) => `${d.range?.filename}:${d.range?.start.line}:${d.range?.start.column}`);

describe('orderJobs', () => {
  it('has no order when no job declares one', () => {
    expect(orderJobs([load('a'), load('b')].map(input), nothingRecorded)).toEqual({
      diagnostics: [],
    });
  });

  it('puts each job after what it waits for, keeping the given order otherwise', () => {
    const r = orderJobs(
      [
        load('api', { 'drover.after': 'db, cache' }),
        load('cache'),
        load('db', { 'drover.after': 'cache' }),
        load('docs'),
      ].map(input),
      nothingRecorded,
    );
    expect(r.diagnostics).toEqual([]);
    expect(ids(r)).toEqual(['cache', 'db', 'api', 'docs']);
    expect(r.order![2]).toEqual({ job: 'api', wave: 0, after: ['db', 'cache'] });
  });

  it('applies lower waves first, then the order within a wave', () => {
    const r = orderJobs(
      [
        load('web', { 'drover.wave': '2' }),
        load('api', { 'drover.wave': '1', 'drover.after': 'worker' }),
        load('worker', { 'drover.wave': '1' }),
        load('db', { 'drover.wave': '-1' }),
        load('cache'),
      ].map(input),
      nothingRecorded,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.order!.map((e) => `${e.job}@${e.wave}`)).toEqual([
      'db@-1',
      'cache@0',
      'worker@1',
      'api@1',
      'web@2',
    ]);
  });

  it('names a cycle at the drover.after entry of the job given first', () => {
    const r = orderJobs(
      [
        load('x'),
        load('a', { 'drover.after': 'c' }),
        load('b', { 'drover.after': 'a' }),
        load('c', { 'drover.after': 'b' }),
      ].map(input),
      nothingRecorded,
    );
    expect(r.order).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.summary).toBe('Cycle in drover.after');
    expect(r.diagnostics[0]!.detail).toContain('a → c → b → a');
    // `"drover.after" = "c"` is on line 3; its value starts at column 22.
    expect(where(r)).toEqual(['jobs/a.hcl:3:22']);
  });

  it('reports unknown names, self-reference, a later wave and a bad wave at their entries', () => {
    const r = orderJobs(
      [
        load('a', { 'drover.after': 'dd' }),
        load('b', { 'drover.after': 'b' }),
        load('c', { 'drover.wave': 'first' }),
        load('d', { 'drover.after': 'e' }),
        load('e', { 'drover.wave': '3' }),
      ].map(input),
      nothingRecorded,
    );
    expect(r.order).toBeUndefined();
    expect(r.diagnostics.map((d) => d.summary)).toEqual([
      'Invalid drover.wave',
      'Unknown job in drover.after',
      'Job waits for itself',
      'Job waits for a later wave',
    ]);
    expect(where(r)).toEqual([
      'jobs/c.hcl:3:21',
      'jobs/a.hcl:3:22',
      'jobs/b.hcl:3:22',
      'jobs/d.hcl:3:22',
    ]);
    expect(r.diagnostics[1]!.detail).toBe(
      'Job "a" waits for "dd", which is neither in this plan nor recorded in state. Did you mean "d"?',
    );
  });

  it('accepts a job outside the plan when it is recorded and healthy, and says so', () => {
    const state = stateWith('db', 'running', true);
    const ok = orderJobs(
      [load('api', { 'drover.after': 'db' })].map(input),
      recordedReadiness(state),
    );
    expect(ok.diagnostics).toEqual([]);
    expect(ok.order).toEqual([{ job: 'api', wave: 0, after: ['db'], outside: ['db'] }]);
    expect(renderOrder(ok.order!)).toEqual([
      'Order: 1. api (after db (running, not in this plan))',
    ]);

    const bad = orderJobs(
      [load('api', { 'drover.after': 'db' })].map(input),
      recordedReadiness(stateWith('db', 'failed', false)),
    );
    expect(bad.diagnostics[0]!.summary).toBe('Job waits for a job that is not healthy');
    expect(bad.diagnostics[0]!.detail).toContain('db.g[0] is failed');
  });

  it('reads drover.after as a list', () => {
    expect(afterList(' db,, cache ,db ')).toEqual(['db', 'cache']);
    expect(afterList(undefined)).toEqual([]);
  });
});

function stateWith(
  id: string,
  status: Allocation['client_status'],
  healthy: boolean,
): StateSnapshot {
  const s = emptyState('00000000-0000-4000-8000-000000000000');
  const j = load(id);
  s.jobs[id] = {
    id,
    versions: [
      {
        version: 0,
        submitted_at: '2026-01-01T00:00:00Z',
        source: '',
        filename: `${id}.hcl`,
        submitted: j.submitted,
        job: j.job as unknown as Record<string, unknown>,
        job_format: 2,
        stable: healthy,
        status: 'running',
      },
    ],
  } as unknown as StateSnapshot['jobs'][string];
  s.allocations.a1 = {
    id: 'a1',
    job: id,
    version: 0,
    group: 'g',
    index: 0,
    node: 'local',
    name: `${id}.g[0]`,
    desired_status: 'run',
    client_status: status,
    task_states: {},
    driver_handles: {},
    ports: [],
    created_at: '2026-01-01T00:00:00Z',
    modified_at: '2026-01-01T00:00:00Z',
    ...(healthy ? { health: { healthy: true } } : {}),
  } as unknown as Allocation;
  return s;
}

describe('the order in the plan', () => {
  const desired = (j: LoadedJob): DesiredJob => ({
    kind: 'run',
    id: j.id,
    job: j.job,
    submitted: j.submitted,
    source: '',
    filename: j.filename,
  });
  const jobs = [load('api', { 'drover.after': 'db' }), load('db')];
  const plan = (order: ReturnType<typeof orderJobs>['order']) =>
    computePlan({
      desired: jobs.map(desired),
      state: emptyState('00000000-0000-4000-8000-000000000000'),
      classify: () => 'destructive',
      seed: 'order-test',
      now: new Date('2026-01-01T00:00:00Z'),
      droverVersion: 'test',
      ...(order ? { order } : {}),
    });

  it('is in the JSON, the text and the hash', () => {
    const { order } = orderJobs(jobs.map(input), nothingRecorded);
    const ordered = plan(order);
    expect(ordered.order).toEqual([
      { job: 'db', wave: 0, after: [] },
      { job: 'api', wave: 0, after: ['db'] },
    ]);
    expect(checkPlanSchema(JSON.parse(JSON.stringify(ordered)))).toEqual({
      plan: expect.anything(),
    });
    expect(ordered.hash).toBe(planHash(ordered));
    expect(renderPlanText(ordered)).toContain('Order: 1. db  2. api (after db)\n');
    const other = plan([...order!].reverse());
    expect(other.hash).not.toBe(ordered.hash);
    expect(plan(undefined).order).toBeUndefined();
    expect(renderPlanText(plan(undefined))).not.toContain('Order:');
  });

  it('shows waves when a job has one', () => {
    expect(
      renderOrder([
        { job: 'db', wave: 0, after: [] },
        { job: 'api', wave: 1, after: ['db'] },
      ]),
    ).toEqual(['Order: 1. db (wave 0)  2. api (wave 1, after db)']);
  });
});

describe('ApplyGate', () => {
  const order = [
    { job: 'db', wave: 0, after: [] },
    { job: 'cache', wave: 0, after: [] },
    { job: 'api', wave: 0, after: ['db', 'cache'] },
    { job: 'web', wave: 1, after: [] },
  ];
  const ok = { ok: true, result: 'successful' as const, failures: [] };
  const failed = { ok: false, result: 'failed' as const, failures: [] };

  it('holds a job back when what it waits for failed or did not start', () => {
    const gate = new ApplyGate(order, false);
    expect(gate.blocked('db')).toBeUndefined();
    gate.finished('db', failed);
    expect(gate.blocked('cache')).toBeUndefined();
    gate.finished('cache', ok);
    expect(gate.blocked('api')).toBe('waits for db, which failed');
    gate.finished('api', notStarted(gate.blocked('api')!));
    // A job of a later wave waits for every job of the waves before it.
    expect(gate.blocked('web')).toBe('waits for db (wave 0), which failed');
  });

  it('lets a job start when what it waits for is unchanged (not applied now)', () => {
    const gate = new ApplyGate(order, false);
    gate.finished('cache', ok);
    expect(gate.blocked('api')).toBeUndefined();
  });

  it('looks in state at a job it waits for that this apply does not change', () => {
    const gate = new ApplyGate(order, false, (id) =>
      id === 'db' ? 'its deployment of version 3 is failed' : true,
    );
    expect(gate.blocked('api')).toBe(
      'waits for db, which is not healthy: its deployment of version 3 is failed',
    );
  });

  it('looks again at a job outside the plan that was healthy when the plan was made', () => {
    const outside = [{ job: 'api', wave: 0, after: ['db'], outside: ['db'] }];
    expect(new ApplyGate(outside, false, () => true).blocked('api')).toBeUndefined();
    expect(new ApplyGate(outside, false, () => 'is stopped').blocked('api')).toBe(
      'waits for db, which is not healthy: is stopped',
    );
  });

  it('stops every later job of an atomic apply after a failure', () => {
    const gate = new ApplyGate(undefined, true);
    gate.finished('a', failed);
    expect(gate.stoppedBy).toBe('a');
    expect(gate.blocked('b')).toBe('the apply is atomic and a failed');
  });

  it('refuses -detach when a changed job waits for another, or the apply is atomic', () => {
    const jobPlan = (id: string) => ({ id, type: 'create' }) as never;
    const p = { order, jobs: ['db', 'api'].map(jobPlan) } as never;
    expect(() => refuseDetached(p, false)).toThrow(/"api" waits for "db"/);
    expect(() => refuseDetached({ order, jobs: [jobPlan('db')] } as never, false)).not.toThrow();
    expect(() => refuseDetached({ jobs: [] } as never, true)).toThrow(/atomic/);
  });
});
