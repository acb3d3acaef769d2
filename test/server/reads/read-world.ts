/**
 * A state made by real `drover apply` runs on the embedded local node (raw_exec), and a server
 * context over it: a service job `web` in two versions (a nomad-provider service tagged for
 * Traefik, a deployment each), a periodic batch job `nightly` and its forced launch
 * `nightly/periodic-<time>`. Read handlers are called directly with a built ApiRequest (the HTTP
 * layer, which does auth and blocking, is core's).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openSession, type Session } from '../../../src/cli/session.js';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { createServerContext } from '../../../src/server/context.js';
import type {
  ApiReply,
  ApiRequest,
  EventHub,
  Identity,
  Route,
  ServerContext,
  ServerSettings,
} from '../../../src/server/types.js';
import { routes as allocations } from '../../../src/server/api/allocations.js';
import { routes as deployments } from '../../../src/server/api/deployments.js';
import { routes as evaluations } from '../../../src/server/api/evaluations.js';
import { routes as jobs } from '../../../src/server/api/jobs-read.js';
import { routes as nodes } from '../../../src/server/api/nodes.js';
import { routes as services } from '../../../src/server/api/services.js';
import { drover } from '../../e2e/cli.js';
import { testServerSettings } from '../settings.js';

export const READ_ROUTES: Route[] = [
  ...jobs,
  ...allocations,
  ...nodes,
  ...deployments,
  ...evaluations,
  ...services,
];

const web = `
variable "release" {
  type    = string
  default = "v1"
}

job "web" {
  type        = "service"
  datacenters = ["*"]

  meta {
    owner = "team-a"
  }

  update {
    max_parallel      = 2
    min_healthy_time  = "100ms"
    healthy_deadline  = "20s"
    progress_deadline = "30s"
  }

  group "app" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name     = "web"
      port     = "http"
      provider = "nomad"
      tags     = ["traefik.enable=true", var.release]
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "node"
        args    = ["-e", "require('http').createServer((q, s) => s.end('ok')).listen(process.env.NOMAD_PORT_http)"]
      }

      env {
        RELEASE = var.release
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;

const nightly = `
job "nightly" {
  type        = "batch"
  datacenters = ["*"]

  periodic {
    crons            = ["15 3 * * *"]
    prohibit_overlap = true
  }

  group "run" {
    task "once" {
      driver = "raw_exec"

      config {
        command = "true"
      }

      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;

export interface ReadWorld {
  dir: string;
  session: Session;
  server: ServerContext;
  /** The id of nightly's forced launch (`nightly/periodic-…`). */
  child: string;
  close(): Promise<void>;
}

async function cli(dir: string, args: string[]): Promise<string> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** No events or metrics are read by the read routes; these satisfy the context's seams. */
const quietHub: EventHub = { since: () => [], subscribe: () => () => undefined };
const quiet = { info() {}, warn() {}, error() {} };
const noMetrics = { increment() {}, gauge() {}, sample() {} };

export const SETTINGS: ServerSettings = testServerSettings();

export async function readWorld(): Promise<ReadWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-server-reads-'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  writeFileSync(join(dir, 'web.nomad.hcl'), web);
  writeFileSync(join(dir, 'nightly.nomad.hcl'), nightly);
  await cli(dir, ['apply', '-auto-approve', 'web.nomad.hcl']);
  await cli(dir, ['apply', '-auto-approve', '-var', 'release=v2', 'web.nomad.hcl']);
  await cli(dir, ['apply', '-auto-approve', 'nightly.nomad.hcl']);
  await cli(dir, ['job', 'periodic', 'force', '-auto-approve', 'nightly']);
  const session = (await openSession(join(dir, 'drover.hcl'), new Diagnostics()))!;
  const server = createServerContext({
    settings: SETTINGS,
    engine: session,
    events: quietHub,
    metrics: noMetrics,
    log: quiet,
  });
  const state = await session.store.read();
  const child = Object.keys(state.jobs).find((id) => id.startsWith('nightly/periodic-'))!;
  expect(child).toBeDefined();
  return {
    dir,
    session,
    server,
    child,
    async close() {
      for (const id of ['web', 'nightly', child])
        await drover(dir, ['stop', '-auto-approve', '-purge', id]);
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const everything: Identity = {
  actor: { name: 'test' },
  management: true,
  allows: () => true,
};

/** An ApiRequest for `GET path` (with `query`), matched against the read routes' patterns. */
export function request(server: ServerContext, url: string, signal?: AbortSignal): ApiRequest {
  const [path, search = ''] = url.split('?') as [string, string?];
  const query = new URLSearchParams(search);
  const { params } = match(path);
  return {
    method: 'GET',
    path,
    params,
    query,
    headers: {},
    namespace: query.get('namespace') ?? 'default',
    identity: everything,
    server,
    json: () => Promise.resolve(undefined),
    signal: signal ?? new AbortController().signal,
  };
}

/** The route for a path, with its `:name` segments URL-decoded (as the router does). */
export function match(path: string): { route: Route; params: Record<string, string> } {
  const segments = path.split('/');
  for (const route of READ_ROUTES) {
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((p, n) => {
      if (p.startsWith(':')) return ((params[p.slice(1)] = decodeURIComponent(segments[n]!)), true);
      return p === segments[n];
    });
    if (ok) return { route, params };
  }
  throw new Error(`no read route for ${path}`);
}

export interface Answer {
  status: number;
  json?: unknown;
  text?: string;
  index?: number;
  headers: Record<string, string>;
}

/** Calls the route's handler as the HTTP layer would, errors as their status and text. */
export async function get(server: ServerContext, url: string): Promise<Answer> {
  const req = request(server, url);
  try {
    return plain(await match(req.path).route.handler(req));
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (typeof status !== 'number') throw err;
    return { status, text: (err as Error).message, headers: {} };
  }
}

/**
 * A blocking query as the HTTP layer runs it: wait for the index to pass `index` (or `waitMs`),
 * then answer.
 */
export async function blockingGet(
  server: ServerContext,
  url: string,
  index: number,
  waitMs: number,
): Promise<Answer> {
  const req = request(server, url);
  expect(match(req.path).route.blocking).toBe(true);
  await server.waitForIndex(index, waitMs, req.signal);
  return plain(await match(req.path).route.handler(req));
}

function plain(reply: ApiReply): Answer {
  if ('stream' in reply) throw new Error('a read route answered with a stream');
  return {
    status: reply.status ?? 200,
    ...(reply.json !== undefined ? { json: reply.json } : {}),
    ...(reply.text !== undefined ? { text: reply.text } : {}),
    ...(reply.index !== undefined ? { index: reply.index } : {}),
    headers: reply.headers ?? {},
  };
}

export { cli };
