/**
 * The stream part inside a real `drover server` process: an event stream open while the CLI
 * applies a job beside the server sees the job registered and its allocation created (the
 * server's change feed publishing to the hub), the logs endpoint reads the task, and /v1/metrics
 * counts the requests in Prometheus text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drover } from '../../e2e/cli.js';
import { startServerProcess, type ServerProcess } from '../core/process.js';
import { openLines } from './harness.js';

let dir = '';
let server: ServerProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-stream-e2e-'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  writeFileSync(
    join(dir, 'hi.nomad.hcl'),
    `job "hi" {
  datacenters = ["dc1"]
  update {
    health_check     = "task_states"
    min_healthy_time = "0s"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello from hi; exec sleep 300"]
      }
    }
  }
}
`,
  );
  server = await startServerProcess(dir, ['-config', join(dir, 'drover.hcl')]);
});

afterAll(async () => {
  await server?.stop();
  const stopped = await drover(dir, ['stop', '-auto-approve', '-purge', 'hi']);
  rmSync(dir, { recursive: true, force: true });
  expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
});

interface Batch {
  Index: number;
  Events: { Topic: string; Type: string; Key: string; Payload: Record<string, unknown> }[];
}

describe('drover server: events, logs and metrics', () => {
  let allocId = '';

  it('streams the events of an apply made by the CLI beside the server', async () => {
    const lines = await openLines(`${server.url}/v1/event/stream?topic=Job:hi&topic=Allocation`);
    try {
      expect(await lines.next()).toBe('{}');
      const applied = await drover(dir, ['apply', '-auto-approve', 'hi.nomad.hcl']);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      const seen: Batch['Events'] = [];
      while (
        !seen.some((e) => e.Type === 'JobRegistered') ||
        !seen.some((e) => e.Topic === 'Allocation' && e.Type === 'AllocationCreated')
      ) {
        const line = await lines.next(15_000);
        if (line !== '{}') seen.push(...(JSON.parse(line) as Batch).Events);
      }
      expect(seen.find((e) => e.Type === 'JobRegistered')?.Key).toBe('hi');
      allocId = seen.find((e) => e.Type === 'AllocationCreated')!.Key;
    } finally {
      lines.close();
    }
  });

  it('serves the task log', async () => {
    const res = await fetch(
      `${server.url}/v1/client/fs/logs/${allocId}?task=t&type=stdout&plain=true`,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello from hi\n');
  });

  it('counts the API requests in /v1/metrics', async () => {
    const res = await fetch(`${server.url}/v1/metrics?format=prometheus`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE drover_api_requests_total counter$/m);
    expect(text).toMatch(/^drover_api_requests_total\{code="200",endpoint="[^"]*logs[^"]*"\} 1$/m);
    expect(text).toMatch(/^drover_jobs\{status="running"\} 1$/m);
  });
});
