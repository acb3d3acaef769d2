/**
 * Nomad's read endpoints over a state made by real `drover apply` runs: every answer held to
 * the JSON shapes of Nomad's api structs, blocking queries, filters, paging, namespaces, 404s
 * and ids with a `/`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNomadJob } from '../../../src/server/nomad/job-json.js';
import { jobVersionFacts, jobView } from '../../../src/server/nomad/common.js';
import { evaluationId } from '../../../src/server/nomad/ids.js';
import { shapeErrors } from './nomad-api-shapes.js';
import { blockingGet, cli, get, readWorld, type Answer, type ReadWorld } from './read-world.js';

type Json = Record<string, unknown>;

let w: ReadWorld;

beforeAll(async () => {
  w = await readWorld();
}, 180_000);

afterAll(async () => {
  await w?.close();
});

function ok(a: Answer): unknown {
  expect(a.status, a.text).toBe(200);
  expect(a.index).toBeGreaterThanOrEqual(1);
  return a.json;
}

function list(a: Answer): Json[] {
  const json = ok(a);
  expect(Array.isArray(json)).toBe(true);
  return json as Json[];
}

function expectShape(value: unknown, struct: string) {
  expect(shapeErrors(value, struct)).toEqual([]);
}

/** toNomadJob is the write side's; until it lands it refuses, and so do reads that embed a job. */
async function jobJson(id: string, version: number): Promise<{ json?: Json; error?: string }> {
  const now = await w.server.current();
  const view = jobView(now.state, id)!;
  const stored = view.record.versions.find((v) => v.version === version)!;
  try {
    return { json: toNomadJob(view.job, jobVersionFacts(view, stored, now.index)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function expectJobEmbedding(url: string, check: (a: Answer, webV1: Json) => void) {
  const built = await jobJson('web', 1);
  if (built.error) {
    await expect(get(w.server, url)).rejects.toThrow(built.error);
  } else {
    check(await get(w.server, url), built.json!);
  }
}

describe('jobs', () => {
  it('GET /v1/jobs lists every job as a JobListStub with its summary', async () => {
    const stubs = list(await get(w.server, '/v1/jobs'));
    expect(stubs.map((s) => s.ID)).toEqual(['nightly', w.child, 'web']);
    for (const s of stubs) expectShape(s, 'JobListStub');
    const web = stubs.find((s) => s.ID === 'web')!;
    expect(web).toMatchObject({
      Type: 'service',
      Status: 'running',
      Stop: false,
      Namespace: 'default',
      JobModifyIndex: 2,
      Datacenters: ['*'],
    });
    expect(web).not.toHaveProperty('Meta');
    // v0's two allocations were replaced by v1's: complete, as Nomad counts them.
    expect((web.JobSummary as Json).Summary).toEqual({
      app: { Queued: 0, Complete: 2, Failed: 0, Running: 2, Starting: 0, Lost: 0, Unknown: 0 },
    });
    const parent = stubs.find((s) => s.ID === 'nightly')!;
    expect(parent.Periodic).toBe(true);
    // The parent runs nothing itself: nothing queued.
    expect((parent.JobSummary as Json).Summary).toEqual({
      run: { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 },
    });
    expect((parent.JobSummary as Json).Children).toMatchObject({ Pending: 0 });
    const child = stubs.find((s) => s.ID === w.child)!;
    expect(child.ParentID).toBe('nightly');
  });

  it('meta=true adds each job’s Meta; a filter sees it either way', async () => {
    const withMeta = list(await get(w.server, '/v1/jobs?meta=true'));
    expect(withMeta.find((s) => s.ID === 'web')!.Meta).toEqual({ owner: 'team-a' });
    const filtered = list(await get(w.server, '/v1/jobs?filter=' + enc('Meta.owner == "team-a"')));
    expect(filtered.map((s) => s.ID)).toEqual(['web']);
  });

  it('prefix, filter, per_page and next_token select and page', async () => {
    expect(list(await get(w.server, '/v1/jobs?prefix=night')).map((s) => s.ID)).toEqual([
      'nightly',
      w.child,
    ]);
    const batch = list(await get(w.server, '/v1/jobs?filter=' + enc('Type == "batch"')));
    expect(batch.map((s) => s.ID)).toEqual(['nightly', w.child]);
    const first = await get(w.server, '/v1/jobs?per_page=2');
    expect(list(first).map((s) => s.ID)).toEqual(['nightly', w.child]);
    expect(first.headers['X-Nomad-NextToken']).toBe('web');
    const second = await get(w.server, '/v1/jobs?per_page=2&next_token=web');
    expect(list(second).map((s) => s.ID)).toEqual(['web']);
    expect(second.headers['X-Nomad-NextToken']).toBeUndefined();
    const reversed = list(await get(w.server, '/v1/jobs?reverse=true'));
    expect(reversed.map((s) => s.ID)).toEqual(['web', w.child, 'nightly']);
  });

  it('answers a bad filter 400 with the parse error', async () => {
    const a = await get(w.server, '/v1/jobs?filter=' + enc('Type =='));
    expect(a.status).toBe(400);
    expect(a.text).toMatch(/^failed to read filter expression: .*expected a value/);
  });

  it('matches namespace default and *, nothing else', async () => {
    expect(list(await get(w.server, '/v1/jobs?namespace=*'))).toHaveLength(3);
    expect(list(await get(w.server, '/v1/jobs?namespace=default'))).toHaveLength(3);
    expect(list(await get(w.server, '/v1/jobs?namespace=prod'))).toEqual([]);
    expect((await get(w.server, '/v1/job/web/summary?namespace=prod')).status).toBe(404);
  });

  it('GET /v1/job/:id is the job JSON of job-json.ts in the envelope, 404 "job not found"', async () => {
    const built = await jobJson('web', 1);
    if (built.error) {
      await expect(get(w.server, '/v1/job/web')).rejects.toThrow(built.error);
    } else {
      const a = await get(w.server, '/v1/job/web');
      expect(ok(a)).toEqual(built.json);
      // Nomad's: the job's own ModifyIndex, stamped by the write that last changed it.
      const job = (await w.server.current()).state.jobs.web!;
      expect(a.index).toBe(job.modify_index! + 1);
      expect((ok(a) as Json).ModifyIndex).toBe(a.index);
      expect((ok(a) as Json).CreateIndex).toBe(job.create_index! + 1);
    }
    const missing = await get(w.server, '/v1/job/nope');
    expect(missing).toMatchObject({ status: 404, text: 'job not found' });
  });

  it('GET /v1/job/:id/summary, with an URL-encoded child id', async () => {
    const summary = ok(await get(w.server, '/v1/job/web/summary')) as Json;
    expectShape(summary, 'JobSummary');
    expect(summary.JobID).toBe('web');
    const child = ok(await get(w.server, `/v1/job/${encodeURIComponent(w.child)}/summary`)) as Json;
    expectShape(child, 'JobSummary');
    expect(child.JobID).toBe(w.child);
    expect((child.Summary as Json).run).toMatchObject({ Complete: 1, Queued: 0 });
    expect(await get(w.server, '/v1/job/nope/summary')).toMatchObject({
      status: 404,
      text: 'job not found',
    });
  });

  it('GET /v1/job/:id/allocations lists stubs of every version; task_states=false drops them', async () => {
    const stubs = list(await get(w.server, '/v1/job/web/allocations'));
    for (const s of stubs) expectShape(s, 'AllocationListStub');
    expect(new Set(stubs.map((s) => s.JobVersion))).toEqual(new Set([0, 1]));
    const running = stubs.filter((s) => s.ClientStatus === 'running');
    expect(running).toHaveLength(2);
    for (const s of running) {
      expect(s.JobVersion).toBe(1);
      expect(s.EvalID).toBe(evaluationId('web', 1));
      expect(s.NodeName).toBe('local');
      const task = (s.TaskStates as Record<string, Json>).server!;
      expect(task.State).toBe('running');
      expect((task.Events as Json[]).map((e) => e.Type)).toEqual(['Received', 'Started']);
      expect(s.DeploymentStatus).toMatchObject({ Healthy: true, Canary: false });
    }
    const bare = list(await get(w.server, '/v1/job/web/allocations?task_states=false'));
    expect(bare.every((s) => s.TaskStates === null)).toBe(true);
    expect(list(await get(w.server, '/v1/job/nope/allocations'))).toEqual([]);
  });

  it('GET /v1/job/:id/evaluations: one complete job-register evaluation per version', async () => {
    const evals = list(await get(w.server, '/v1/job/web/evaluations'));
    for (const e of evals) expectShape(e, 'Evaluation');
    expect(evals.map((e) => [e.ID, e.Status, e.TriggeredBy, e.JobModifyIndex])).toEqual([
      [evaluationId('web', 1), 'complete', 'job-register', 2],
      [evaluationId('web', 0), 'complete', 'job-register', 1],
    ]);
  });

  it('GET /v1/job/:id/deployment and /deployments: the latest, and all newest first', async () => {
    const latest = ok(await get(w.server, '/v1/job/web/deployment')) as Json;
    expectShape(latest, 'Deployment');
    expect(latest).toMatchObject({ JobID: 'web', JobVersion: 1, Status: 'successful' });
    const group = (latest.TaskGroups as Record<string, Json>).app!;
    expect(group).toMatchObject({ DesiredTotal: 2, HealthyAllocs: 2, ProgressDeadline: 30e9 });
    const all = list(await get(w.server, '/v1/job/web/deployments'));
    for (const d of all) expectShape(d, 'Deployment');
    expect(all.map((d) => d.JobVersion)).toEqual([1, 0]);
    // A batch job has no deployment: Nomad answers null.
    expect(ok(await get(w.server, '/v1/job/nightly/deployment'))).toBeNull();
    expect(ok(await get(w.server, '/v1/job/nope/deployment'))).toBeNull();
  });

  it('GET /v1/job/:id/scale: desired and running per group', async () => {
    const scale = ok(await get(w.server, '/v1/job/web/scale')) as Json;
    expectShape(scale, 'JobScaleStatusResponse');
    expect(scale).toMatchObject({ JobID: 'web', JobStopped: false, JobModifyIndex: 2 });
    expect((scale.TaskGroups as Json).app).toMatchObject({
      Desired: 2,
      Placed: 2,
      Running: 2,
      Healthy: 2,
      Unhealthy: 0,
    });
  });

  it('GET /v1/job/:id/versions with diffs=true: newest first, the diff between them', async () => {
    const built = await jobJson('web', 1);
    if (built.error) {
      await expect(get(w.server, '/v1/job/web/versions?diffs=true')).rejects.toThrow(built.error);
      return;
    }
    const v = ok(await get(w.server, '/v1/job/web/versions?diffs=true')) as Json;
    expectShape(v, 'JobVersionsResponse');
    expect((v.Versions as Json[]).map((j) => j.Version)).toEqual([1, 0]);
    const job = (await w.server.current()).state.jobs.web!;
    expect(v).toMatchObject({ Index: job.modify_index! + 1, KnownLeader: true });
    const [diff] = v.Diffs as Json[];
    expect(diff).toMatchObject({ Type: 'Edited', ID: 'web' });
    expect(JSON.stringify(diff)).toContain('"New":"v2"');
    expect(ok(await get(w.server, '/v1/job/web/versions')) as Json).toMatchObject({ Diffs: null });
  });

  it('GET /v1/job/:id/submission: the source of a version', async () => {
    const sub = ok(await get(w.server, '/v1/job/web/submission?version=0')) as Json;
    expectShape(sub, 'JobSubmission');
    expect(sub.Format).toBe('hcl2');
    expect(sub.Source).toContain('job "web"');
    expect(await get(w.server, '/v1/job/web/submission?version=9')).toMatchObject({
      status: 404,
      text: 'job source not found',
    });
  });
});

describe('allocations', () => {
  it('GET /v1/allocations: stubs, prefix, filter, resources=true', async () => {
    const stubs = list(await get(w.server, '/v1/allocations'));
    expect(stubs.length).toBeGreaterThanOrEqual(5);
    for (const s of stubs) expectShape(s, 'AllocationListStub');
    expect(stubs.every((s) => !('AllocatedResources' in s))).toBe(true);
    const id = stubs[0]!.ID as string;
    expect(
      list(await get(w.server, `/v1/allocations?prefix=${id.slice(0, 6)}`)).map((s) => s.ID),
    ).toContain(id);
    const running = list(
      await get(
        w.server,
        '/v1/allocations?filter=' + enc('ClientStatus == "running" and JobID == "web"'),
      ),
    );
    expect(running).toHaveLength(2);
    const withResources = list(await get(w.server, '/v1/allocations?resources=true'));
    for (const s of withResources) expectShape(s, 'AllocationListStub');
    const web = withResources.find((s) => s.JobID === 'web' && s.ClientStatus === 'running')!;
    const shared = (web.AllocatedResources as Json).Shared as Json;
    expect((shared.Ports as Json[])[0]).toMatchObject({ Label: 'http', HostIP: '127.0.0.1' });
  });

  it('GET /v1/allocation/:id: the full Allocation, 404 "alloc not found"', async () => {
    const stub = list(await get(w.server, '/v1/job/web/allocations')).find(
      (s) => s.ClientStatus === 'running',
    )!;
    await expectJobEmbedding(`/v1/allocation/${stub.ID as string}`, (a, webV1) => {
      const alloc = ok(a) as Json;
      expectShape(alloc, 'Allocation');
      expect(alloc.Job).toEqual(webV1);
      expect((alloc.TaskResources as Json).server).toMatchObject({ CPU: 50, MemoryMB: 32 });
    });
    expect(await get(w.server, '/v1/allocation/nope')).toMatchObject({
      status: 404,
      text: 'alloc not found',
    });
  });
});

describe('nodes', () => {
  it('GET /v1/nodes and /v1/node/:id: the local node, ready, HTTPAddr ""', async () => {
    const stubs = list(await get(w.server, '/v1/nodes'));
    expect(stubs).toHaveLength(1);
    expectShape(stubs[0], 'NodeListStub');
    expect(stubs[0]).toMatchObject({
      ID: 'local',
      Status: 'ready',
      SchedulingEligibility: 'eligible',
      NodePool: 'default',
      Address: '127.0.0.1',
    });
    expect((stubs[0]!.Drivers as Json).raw_exec).toMatchObject({ Detected: true, Healthy: true });
    const rich = list(await get(w.server, '/v1/nodes?resources=true&os=true'));
    expectShape(rich[0], 'NodeListStub');
    expect(rich[0]).toHaveProperty('NodeResources');
    const node = ok(await get(w.server, '/v1/node/local')) as Json;
    expectShape(node, 'Node');
    expect(node).toMatchObject({ HTTPAddr: '', Status: 'ready', Datacenter: 'dc1' });
    expect((node.Attributes as Json)['driver.raw_exec']).toBe('1');
    expect(await get(w.server, '/v1/node/elsewhere')).toMatchObject({
      status: 404,
      text: 'node not found',
    });
  });

  it('GET /v1/node/:id/allocations: full allocations of the node', async () => {
    await expectJobEmbedding('/v1/node/local/allocations', (a) => {
      const allocs = list(a);
      expect(allocs.length).toBeGreaterThanOrEqual(5);
      for (const alloc of allocs) expectShape(alloc, 'Allocation');
    });
    expect(list(await get(w.server, '/v1/node/elsewhere/allocations'))).toEqual([]);
  });
});

describe('deployments and evaluations', () => {
  it('GET /v1/deployments, /v1/deployment/:id, /v1/deployment/allocations/:id', async () => {
    const all = list(await get(w.server, '/v1/deployments'));
    expect(all).toHaveLength(2);
    for (const d of all) expectShape(d, 'Deployment');
    const v1 = all.find((d) => d.JobVersion === 1)!;
    const one = ok(await get(w.server, `/v1/deployment/${v1.ID as string}`));
    expect(one).toEqual(v1);
    const allocs = list(await get(w.server, `/v1/deployment/allocations/${v1.ID as string}`));
    expect(allocs).toHaveLength(2);
    for (const s of allocs) expectShape(s, 'AllocationListStub');
    expect(await get(w.server, '/v1/deployment/nope')).toMatchObject({
      status: 404,
      text: 'deployment not found',
    });
  });

  it('GET /v1/evaluations (job, filter, paging) and /v1/evaluation/:id', async () => {
    const all = list(await get(w.server, '/v1/evaluations'));
    expect(all).toHaveLength(4); // web v0, v1, nightly v0, its child v0
    for (const e of all) expectShape(e, 'Evaluation');
    expect(list(await get(w.server, '/v1/evaluations?job=web'))).toHaveLength(2);
    const batch = list(await get(w.server, '/v1/evaluations?filter=' + enc('Type == batch')));
    expect(batch.map((e) => e.JobID).sort()).toEqual(['nightly', w.child].sort());
    const page = await get(w.server, '/v1/evaluations?per_page=3');
    expect(list(page)).toHaveLength(3);
    const rest = list(
      await get(
        w.server,
        `/v1/evaluations?per_page=3&next_token=${page.headers['X-Nomad-NextToken']}`,
      ),
    );
    expect(rest).toHaveLength(1);
    const id = evaluationId('web', 1);
    expect(ok(await get(w.server, `/v1/evaluation/${id}`))).toMatchObject({ ID: id, JobID: 'web' });
    expect(await get(w.server, '/v1/evaluation/nope')).toMatchObject({
      status: 404,
      text: 'eval not found',
    });
  });
});

describe('services', () => {
  it('GET /v1/services: per namespace, each service with its tags; Traefik’s filter', async () => {
    const stubs = list(await get(w.server, '/v1/services'));
    for (const s of stubs) expectShape(s, 'ServiceRegistrationListStub');
    expect(stubs).toEqual([
      {
        Namespace: 'default',
        Services: [{ ServiceName: 'web', Tags: ['traefik.enable=true', 'v2'] }],
      },
    ]);
    const traefik = list(
      await get(w.server, '/v1/services?filter=' + enc('Tags contains "traefik.enable=true"')),
    );
    expect(traefik).toEqual(stubs);
    expect(list(await get(w.server, '/v1/services?filter=' + enc('Tags contains "nope"')))).toEqual(
      [],
    );
  });

  it('GET /v1/service/:name: its registrations, [] for an unknown one', async () => {
    const regs = list(await get(w.server, '/v1/service/web'));
    expect(regs).toHaveLength(2);
    for (const r of regs) {
      expectShape(r, 'ServiceRegistration');
      expect(r).toMatchObject({ JobID: 'web', Address: '127.0.0.1', NodeID: 'local' });
      expect(r.Port as number).toBeGreaterThan(0);
    }
    expect(list(await get(w.server, '/v1/service/nope'))).toEqual([]);
  });
});

describe('blocking queries', () => {
  it('times out after wait with the same index when nothing changes', async () => {
    const { index } = await w.server.current();
    const started = Date.now();
    const a = await blockingGet(w.server, '/v1/nodes', index, 400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(a.index).toBe(index);
  });

  it('returns after a write, with the new index and what changed', async () => {
    const { index } = await w.server.current();
    const started = Date.now();
    const waiting = blockingGet(w.server, '/v1/node/local', index, 20_000);
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    await cli(w.dir, ['node', 'eligibility', '-disable', '-auto-approve', 'local']);
    const a = await waiting;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(a.index).toBeGreaterThan(index);
    expect((a.json as Json).SchedulingEligibility).toBe('ineligible');
    await cli(w.dir, ['node', 'eligibility', '-enable', '-auto-approve', 'local']);
  });

  it('every read route is a blocking query', async () => {
    const { READ_ROUTES } = await import('./read-world.js');
    expect(READ_ROUTES.filter((r) => !r.blocking).map((r) => r.path)).toEqual([]);
  });
});

function enc(s: string): string {
  return encodeURIComponent(s);
}
