/**
 * `GET /v1/client/fs/logs/:alloc` on a real raw_exec task on the local node, applied by the built
 * CLI: framed and plain, stdout and stderr, offsets from either end, and following (a line the
 * task writes afterwards arrives as a frame; `{}` heartbeats while it is quiet).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRoutes } from '../../../src/server/api/logs.js';
import { drover } from '../../e2e/cli.js';
import { openLines, startStreamServer, type StreamServer } from './harness.js';

const HEARTBEAT_MS = 200;
let dir = '';
let input = '';
let server: StreamServer;
let allocId = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-logs-api-'));
  input = join(dir, 'input');
  writeFileSync(input, '');
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  // The task prints a line to each stream, then echoes whatever the test appends to `input`.
  writeFileSync(
    join(dir, 'logs.nomad.hcl'),
    `job "logs" {
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
        args    = ["-c", "echo first line; echo an error >&2; exec tail -n 0 -f ${input}"]
      }
    }
  }
}
`,
  );
  const applied = await drover(dir, ['apply', '-auto-approve', 'logs.nomad.hcl']);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  server = await startStreamServer(dir, logRoutes({ heartbeatMs: HEARTBEAT_MS }));
  const { state } = await server.ctx.current();
  allocId = Object.values(state.allocations).find((a) => a.job === 'logs')!.id;
});

afterAll(async () => {
  await server?.close();
  const stopped = await drover(dir, ['stop', '-auto-approve', '-purge', 'logs']);
  rmSync(dir, { recursive: true, force: true });
  expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
});

const logsUrl = (query: string, alloc = allocId) =>
  `${server.url}/v1/client/fs/logs/${alloc}?task=t&${query}`;

interface Frame {
  Offset?: number;
  Data?: string;
  File?: string;
  FileEvent?: string;
}

function data(frames: Frame[]): string {
  return frames.map((f) => Buffer.from(f.Data ?? '', 'base64').toString()).join('');
}

describe('GET /v1/client/fs/logs/:alloc', () => {
  it('sends stdout as JSON frames with the offset after each and the log file, then ends', async () => {
    const lines = await openLines(logsUrl('type=stdout'));
    expect(lines.status).toBe(200);
    const frames = (await lines.rest()).map((l) => JSON.parse(l) as Frame);
    const withData = frames.filter((f) => f.Data);
    expect(data(withData)).toBe('first line\n');
    expect(withData.at(-1)).toMatchObject({ Offset: 11, File: 'alloc/logs/t.stdout.0' });
  });

  it('sends plain bytes with plain=true, stderr with type=stderr', async () => {
    const res = await fetch(logsUrl('type=stderr&plain=true'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('an error\n');
  });

  it('starts at `offset` bytes from the start, or from the end with origin=end', async () => {
    const fromStart = await fetch(logsUrl('type=stdout&plain=true&offset=6'));
    expect(await fromStart.text()).toBe('line\n');
    const fromEnd = await fetch(logsUrl('type=stdout&plain=true&origin=end&offset=5'));
    expect(await fromEnd.text()).toBe('line\n');
    const framed = await openLines(logsUrl('type=stdout&origin=end&offset=5'));
    const frames = (await framed.rest()).map((l) => JSON.parse(l) as Frame).filter((f) => f.Data);
    expect(data(frames)).toBe('line\n');
    expect(frames.at(-1)?.Offset).toBe(11);
  });

  it('follows: a line written later arrives as a frame, heartbeats while quiet', async () => {
    const lines = await openLines(logsUrl('type=stdout&follow=true'));
    try {
      const seen: Frame[] = [];
      const until = async (check: () => boolean) => {
        while (!check()) seen.push(JSON.parse(await lines.next(5_000)) as Frame);
      };
      await until(() => data(seen) === 'first line\n');
      // Quiet: a heartbeat comes.
      const quietFrom = seen.length;
      await until(() => seen.slice(quietFrom).some((f) => Object.keys(f).length === 0));
      appendFileSync(input, 'second line\n');
      await until(() => data(seen) === 'first line\nsecond line\n');
      expect(seen.filter((f) => f.Data).at(-1)?.Offset).toBe(23);
    } finally {
      lines.close();
    }
  });

  it('follows from the end with origin=end: only what is written after', async () => {
    const lines = await openLines(logsUrl('type=stdout&follow=true&origin=end&plain=true'));
    try {
      // Give the follower time to reach the end before writing.
      await new Promise((r) => setTimeout(r, 500));
      appendFileSync(input, 'third line\n');
      expect(await lines.next(5_000)).toBe('third line');
    } finally {
      lines.close();
    }
  });

  it('answers 404 for an unknown allocation and 400 for an unknown task or type', async () => {
    const unknown = await fetch(logsUrl('type=stdout', '00000000-0000-0000-0000-000000000000'));
    expect(unknown.status).toBe(404);
    const task = await fetch(`${server.url}/v1/client/fs/logs/${allocId}?task=nope&type=stdout`);
    expect(task.status).toBe(400);
    expect(await task.text()).toContain('has no task "nope"');
    const type = await fetch(logsUrl('type=stdlog'));
    expect(type.status).toBe(400);
  });
});
