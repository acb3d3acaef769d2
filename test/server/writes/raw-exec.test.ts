/**
 * One real register and stop through the API: a raw_exec job registered with PUT /v1/jobs starts
 * a process on the local node, and DELETE /v1/job/:id stops it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../../src/server/api/job-writes.js';
import { allocProcesses } from '../../providers/process-harness.js';
import { call, startServer, type TestServer } from './support.js';

const job = {
  ID: 'sleeper',
  Type: 'service',
  Update: { HealthCheck: 'task_states', MinHealthyTime: 0 },
  TaskGroups: [
    {
      Name: 'g',
      Count: 1,
      RestartPolicy: { Attempts: 0, Mode: 'fail' },
      Tasks: [
        {
          Name: 'sleep',
          Driver: 'raw_exec',
          Config: { command: '/bin/sleep', args: ['600'] },
          Resources: { CPU: 20, MemoryMB: 16 },
          KillTimeout: 2e9,
        },
      ],
    },
  ],
};

/** Polls `done` every 50 ms until it holds or `ms` pass. */
async function eventually(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe('a raw_exec job through the API', () => {
  let t: TestServer;
  let allocId: string | undefined;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    // Whatever happened, no process of the test is left behind.
    if (allocId) for (const pid of allocProcesses(allocId)) process.kill(pid, 'SIGKILL');
    await t.close();
  });

  it('starts its process on register and stops it on DELETE', async () => {
    await call(t.server, routes, 'PUT', '/v1/jobs', { body: { Job: job } });
    const alloc = Object.values((await t.session.store.read()).allocations).find(
      (a) => a.job === 'sleeper',
    )!;
    allocId = alloc.id;
    await eventually(() => allocProcesses(alloc.id).length > 0, 10_000);
    expect(allocProcesses(alloc.id).length).toBeGreaterThan(0);
    await call(t.server, routes, 'DELETE', '/v1/job/sleeper');
    await eventually(() => allocProcesses(alloc.id).length === 0, 10_000);
    expect(allocProcesses(alloc.id)).toEqual([]);
    const s = await t.session.store.read();
    expect(s.jobs.sleeper!.stopped).toBe(true);
    expect(s.allocations[alloc.id]!.desired_status).toBe('stop');
  });
});
