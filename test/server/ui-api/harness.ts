/**
 * A real drover server for the web UI's API: drover.hcl in a temp dir (local or postgres state,
 * the local node with raw_exec tasks under the temp dir, optional approvals), the CLI's session
 * as the engine, the server's own HTTP layer, router, routes and authorizer on loopback, and the
 * built CLI beside it on the same state.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession, type Session } from '../../../src/cli/session.js';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { createAuthorizer } from '../../../src/server/acl/index.js';
import { allRoutes } from '../../../src/server/api/index.js';
import { createServerContext, type RunningContext } from '../../../src/server/context.js';
import { createServer } from '../../../src/server/http.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { allocProcesses } from '../../providers/process-harness.js';
import { drover, type CliResult } from '../../e2e/cli.js';
import { testServerSettings } from '../settings.js';

export interface UiServerOptions {
  /** drover.hcl's state block (default: local state in the temp dir). */
  state?: (dir: string) => string;
  approvalsRequired?: number;
  acl?: boolean;
  uiDir?: string;
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
  json<T = unknown>(): T;
}

export interface Call {
  body?: unknown;
  token?: string;
  actor?: string;
  headers?: Record<string, string>;
}

export interface UiServer {
  dir: string;
  url: string;
  session: Session;
  context: RunningContext;
  request(method: string, path: string, c?: Call): Promise<Answer>;
  cli(actor: string, ...args: string[]): Promise<CliResult>;
  state(): Promise<StateSnapshot>;
  writeJob(id: string, sleep?: string): void;
  close(): Promise<void>;
}

/** A raw_exec job: one `sleep` per allocation, healthy once running. */
export function sleeperJob(id: string, count = 1, seconds = '600'): string {
  return `job "${id}" {
  group "g" {
    count = ${count}
    restart {
      attempts = 0
      mode     = "fail"
    }
    update {
      health_check     = "task_states"
      min_healthy_time = "0s"
    }
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["${seconds}"]
      }
      kill_timeout = "2s"
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

export async function startUiServer(opts: UiServerOptions = {}): Promise<UiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-ui-api-'));
  mkdirSync(join(dir, 'jobs'));
  const state =
    opts.state?.(dir) ??
    `state {\n  backend = "local"\n  path    = "${join(dir, 'state.json')}"\n}`;
  const approvals = opts.approvalsRequired
    ? `approvals {\n  required = ${opts.approvalsRequired}\n}\n`
    : '';
  writeFileSync(
    join(dir, 'drover.hcl'),
    `${state}\n${approvals}node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  const diags = new Diagnostics();
  const session = await openSession(join(dir, 'drover.hcl'), diags);
  if (!session) throw new Error(diags.items.map((d) => d.summary).join('; '));
  const context = createServerContext({
    settings: testServerSettings({
      acl: { enabled: opts.acl ?? false },
      ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
    }),
    engine: session,
    events: { since: () => [], subscribe: () => () => undefined },
    metrics: { increment: () => undefined, gauge: () => undefined, sample: () => undefined },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const http: Server = createServer({
    context,
    routes: allRoutes(),
    authorizer: createAuthorizer(context),
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    dir,
    url,
    session,
    context,
    async request(method, path, c = {}) {
      const headers: Record<string, string> = { ...c.headers };
      if (c.token) headers['X-Nomad-Token'] = c.token;
      if (c.actor) headers['X-Drover-Actor'] = c.actor;
      if (c.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        redirect: 'manual',
        ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
      });
      const text = await res.text();
      return {
        status: res.status,
        text,
        headers: res.headers,
        json: <T>() => JSON.parse(text) as T,
      };
    },
    cli: (actor, ...args) => drover(dir, args, { env: { DROVER_ACTOR: actor, CI: 'true' } }),
    state: () => session.store.read(),
    writeJob(id, seconds = '600') {
      writeFileSync(join(dir, 'jobs', `${id}.nomad.hcl`), sleeperJob(id, 1, seconds));
    },
    async close() {
      http.closeAllConnections();
      http.close();
      const left = await session.store.read().catch(() => undefined);
      for (const a of Object.values(left?.allocations ?? {}))
        for (const pid of allocProcesses(a.id)) process.kill(pid, 'SIGKILL');
      await context.close();
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The hash a planfile records. */
export function planfileHash(dir: string, file: string): string {
  return (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { hash: string }).hash;
}

/** Polls `done` every 50 ms until it holds or `ms` pass. */
export async function eventually(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
