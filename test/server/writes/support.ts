/**
 * A real ServerContext for the write endpoints: drover's own session (drivers, the local node's
 * transport, a local state store) in a temp dir, and route handlers called directly with an
 * ApiRequest built here (the HTTP layer and router are another part's, see the report).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession, type Session } from '../../../src/cli/session.js';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { nodeFileAccess } from '../../../src/io/node-files.js';
import { findJobFiles } from '../../../src/jobspec/files.js';
import { loadJobSource, type LoadedJob } from '../../../src/jobspec/load.js';
import { driverConfigCheck } from '../../../providers/config-validators.js';
import { createServerContext } from '../../../src/server/context.js';
import {
  ApiError,
  type ApiReply,
  type ApiRequest,
  type Identity,
  type Route,
  type ServerContext,
  type ServerSettings,
} from '../../../src/server/types.js';
import { testServerSettings } from '../settings.js';

export interface TestServer {
  dir: string;
  session: Session;
  server: ServerContext;
  logs: string[];
  close(): Promise<void>;
}

const settings: ServerSettings = testServerSettings();

/** A server over a fresh local state with the local node (process tasks under the temp dir). */
export async function startServer(extraConfig = ''): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-writes-'));
  const config = join(dir, 'drover.hcl');
  writeFileSync(
    config,
    `state {\n  backend = "local"\n  path    = "${join(dir, 'state.json')}"\n}\nnode "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n${extraConfig}`,
  );
  const diags = new Diagnostics();
  const session = await openSession(config, diags);
  if (!session) throw new Error(JSON.stringify(diags.items));
  const logs: string[] = [];
  const server = createServerContext({
    settings,
    engine: session,
    events: { since: () => [], subscribe: () => () => {} },
    metrics: { increment() {}, gauge() {}, sample() {} },
    log: {
      info: (m) => logs.push(m),
      warn: (m) => logs.push(m),
      error: (m) => logs.push(m),
    },
  });
  return {
    dir,
    session,
    server,
    logs,
    async close() {
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Someone with every right, named as the audit trail and events will record them. */
export function identityOf(name: string): Identity {
  return { actor: { name }, management: true, allows: () => true };
}

/** A reply that is not a stream. */
export type JsonReply = Exclude<ApiReply, { stream: unknown }>;

export interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  as?: string;
  namespace?: string;
  /** Who calls, when not someone with every right (`as`). */
  identity?: Identity;
}

/** Calls the handler of `routes` for `method path` (params from the route's `:name` segments). */
export async function call(
  server: ServerContext,
  routes: readonly Route[],
  method: Route['method'],
  path: string,
  c: Call = {},
): Promise<JsonReply> {
  const route = routes.find((r) => r.method === method && matches(r.path, path));
  if (!route) throw new Error(`no route ${method} ${path}`);
  const req: ApiRequest = {
    method,
    path,
    params: { ...paramsOf(route.path, path), ...c.params },
    query: new URLSearchParams(c.query ?? {}),
    headers: {},
    namespace: c.namespace ?? 'default',
    identity: c.identity ?? identityOf(c.as ?? 'alice'),
    server,
    json: () => Promise.resolve(c.body),
    signal: new AbortController().signal,
  };
  const reply = await route.handler(req);
  if ('stream' in reply) throw new Error(`${method} ${path} answered with a stream`);
  return reply;
}

/** The ApiError a call fails with (the test fails when it succeeds). */
export async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the call to be refused');
}

function matches(pattern: string, path: string): boolean {
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') || seg === b[i]);
}

function paramsOf(pattern: string, path: string): Record<string, string> {
  const b = path.split('/');
  return Object.fromEntries(
    pattern
      .split('/')
      .map((seg, i) => [seg, b[i]] as const)
      .filter(([seg]) => seg.startsWith(':'))
      .map(([seg, v]) => [seg.slice(1), decodeURIComponent(v!)]),
  );
}

const examples = new URL('../../../examples/', import.meta.url).pathname;

/** Every folder under examples/ (itself included), as a user would pass them to drover. */
function folders(dir: string): string[] {
  const subs = readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isDirectory());
  return [dir, ...subs.flatMap(folders)];
}

/** Every job file under examples/, loaded as drover loads it. */
export function exampleJobs(): { file: string; loaded: LoadedJob }[] {
  const diags = new Diagnostics();
  return findJobFiles(folders(examples), nodeFileAccess, diags).map((file) => {
    const d = new Diagnostics();
    const loaded = loadJobSource(
      readFileSync(file, 'utf8'),
      file,
      {
        inputs: { vars: [], varFiles: [], env: {} },
        files: nodeFileAccess,
        drivers: driverConfigCheck,
      },
      d,
    );
    if (!loaded) throw new Error(`${file}: ${JSON.stringify(d.items)}`);
    return { file, loaded };
  });
}

/** A service job in Nomad's JSON, as `nomad job run -output` or Terraform sends it. */
export function mockJob(id: string, count = 1, extra: Record<string, unknown> = {}) {
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['*'],
    Update: {
      MinHealthyTime: 0,
      HealthCheck: 'task_states',
      HealthyDeadline: 10e9,
      ProgressDeadline: 20e9,
    },
    TaskGroups: [
      {
        Name: 'g',
        Count: count,
        Tasks: [
          {
            Name: 't',
            Driver: 'mock',
            Config: {},
            Resources: { CPU: 10, MemoryMB: 10 },
            ...extra,
          },
        ],
      },
    ],
  };
}
