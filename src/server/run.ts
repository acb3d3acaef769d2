/**
 * A running `drover server`: the engine of an open session, its leader election, change feed,
 * ServerContext and HTTP(S) listener, put together and taken apart in order.
 *
 *   start  read the state (migrating a postgres schema) → listen → elect → controller on gain
 *   stop   stop accepting → end blocking queries → let writes finish (bounded) → controller
 *          stopped → lease given up → change feed closed (the caller closes the session)
 */
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { createAuthorizer } from './acl/index.js';
import { isReportingMetrics, sshPoolGauges } from './metrics/index.js';
import { timedWrites } from './metrics/timed-store.js';
import type { Transport } from '../../providers/types.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineContext } from '../ops/context.js';
import { PostgresStateStore } from '../state/postgres/store.js';
import { allRoutes } from './api/index.js';
import { localChangeFeed, postgresChangeFeed, type ChangeFeed } from './changes.js';
import { createServerContext, type RunningContext } from './context.js';
import { createForwarder } from './forward.js';
import { createServer } from './http.js';
import { createElection, type Election } from './leader.js';
import { fileLease, pgLease, type LeaseBackend } from './lease.js';
import type {
  Authorizer,
  EventHub,
  IndexedState,
  Metrics,
  Route,
  ServerLog,
  ServerSettings,
} from './types.js';
import type { StateSnapshot } from '../state/types.js';

/** How long a stopping server lets running writes finish before closing connections. */
export const WRITE_DRAIN_MS = 30_000;

export interface ServerParts {
  settings: ServerSettings;
  engine: EngineContext;
  log: ServerLog;
  /** Absent: the ACLs of the state, as `server { acl { enabled } }` says. */
  authorizer?: Authorizer;
  /** Absent: allRoutes(). */
  routes?: readonly Route[];
  /** Absent: an event hub that keeps nothing (the event stream is built separately). */
  events?: PublishingHub;
  /** Absent: metrics that record nothing (/v1/metrics is built separately). */
  metrics?: Metrics;
  /** Started on gaining leadership, stopped on losing it; absent: nothing reconciles. */
  startController?: (ctx: RunningContext) => RunningController;
}

/** The leader's reconcile loop as the server drives it (src/server/controller). */
export interface RunningController {
  stop(): Promise<void>;
  /** The state's index moved: reconcile soon. */
  wake?(): void;
}

export interface RunningServer {
  /** `http://HOST:PORT` (https with TLS). */
  url: string;
  context: RunningContext;
  election: Election;
  http: Server;
  stop(): Promise<void>;
}

/** An event hub that is told of every change of the state (the stream's createEventHub()). */
export type PublishingHub = EventHub & {
  publish?(prev: StateSnapshot | undefined, next: IndexedState): void;
};

/** Keeps no events: what the server uses until the event hub is plugged in. */
export const emptyEventHub: EventHub = {
  since: () => [],
  subscribe: () => () => undefined,
};

/** Records nothing: what the server uses until metrics are plugged in. */
export const unrecordedMetrics: Metrics = {
  increment: () => undefined,
  gauge: () => undefined,
  sample: () => undefined,
};

export async function startServer(parts: ServerParts): Promise<RunningServer> {
  const { log } = parts;
  // A copy: the port becomes the one really listened on (0 picks one).
  const settings = { ...parts.settings };
  const store = parts.engine.store;
  // Fails early on a state that cannot be read; migrates a postgres schema (the lease table).
  await store.read();
  const changes = changeFeed(parts.engine, log);
  const shutdown = new AbortController();
  const events: PublishingHub = parts.events ?? emptyEventHub;
  // The election needs the address the listener got; the context needs the election's view.
  const elected: { election?: Election } = {};
  let controller: RunningController | undefined;
  // The transports this server's engine used, by node: the SSH pool gauges read their stats.
  const transports = new Map<string, Transport>();
  const engine: EngineContext = {
    ...parts.engine,
    transport: (node) => {
      const t = parts.engine.transport(node);
      transports.set(node.name, t);
      return t;
    },
  };
  const metrics = parts.metrics ?? unrecordedMetrics;
  const stopCollecting = isReportingMetrics(metrics)
    ? metrics.collect(() => sshPoolGauges(transports))
    : undefined;
  const context = createServerContext({
    settings,
    engine,
    events,
    metrics,
    log,
    leadership: () => election?.leadership() ?? { isLeader: false, epoch: 0, lastContactMs: 0 },
    changes,
    onChange: (prev, next) => {
      events.publish?.(prev, next);
      controller?.wake?.();
    },
  });
  let address = '';
  const forwarder = createForwarder({ settings, self: () => address, log });
  const http = createServer({
    context,
    routes: parts.routes ?? allRoutes(),
    authorizer: parts.authorizer ?? createAuthorizer(context),
    shutdown: shutdown.signal,
    forwarder,
  });
  http.listen(settings.port, settings.address);
  await Promise.race([
    once(http, 'listening'),
    once(http, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  const port = (http.address() as AddressInfo).port;
  const advertised = advertiseHost(settings.address);
  const host = advertised.includes(':') ? `[${advertised}]` : advertised;
  address = `${host}:${port}`;
  settings.port = port;

  const election = createElection({
    backend: leaseBackend(parts.engine),
    name: settings.name,
    address,
    ttlMs: settings.leaseTtlMs,
    log,
  });
  elected.election = election;
  engine.store = timedWrites(election.fence(store), context.metrics);
  const stopController = async () => {
    const c = controller;
    controller = undefined;
    await c
      ?.stop()
      .catch((err: unknown) => log.error(`stopping the controller failed: ${String(err)}`));
  };
  election.onLeadershipChange((isLeader) => {
    if (!isLeader) return void stopController();
    if (!parts.startController) {
      log.warn(
        'the controller (reconcile loop) is not built yet: nothing reconciles between applies',
      );
      return;
    }
    controller = parts.startController(context);
  });
  await election.start();

  return {
    url: `${settings.tls ? 'https' : 'http'}://${address}`,
    context,
    election,
    http,
    async stop() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      shutdown.abort();
      http.closeIdleConnections();
      const deadline = Date.now() + WRITE_DRAIN_MS;
      while (context.writesInFlight() > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      http.closeAllConnections();
      forwarder.close();
      await closed;
      await stopController();
      await election.stop();
      await context.close();
      stopCollecting?.();
    },
  };
}

function changeFeed(engine: EngineContext, log: ServerLog): ChangeFeed {
  const warn = (m: string) => log.warn(m);
  if (engine.store instanceof PostgresStateStore)
    return postgresChangeFeed(engine.store.pgTarget, engine.store.schema, warn);
  return localChangeFeed(engine.config.state.path, warn);
}

function leaseBackend(engine: EngineContext): LeaseBackend {
  if (engine.store instanceof PostgresStateStore)
    return pgLease(engine.store.pgTarget, engine.store.schema);
  return fileLease(engine.config.state.path);
}

/**
 * The address other servers and clients are told (leader, peers, the listening line): the bind
 * address, unless it is a wildcard, which no one can reach — then this machine's first
 * non-internal IPv4 address, as Nomad advertises its first private address by default.
 */
export function advertiseHost(
  bind: string,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string {
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') return bind;
  for (const list of Object.values(interfaces))
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  return bind === '::' ? '::1' : '127.0.0.1';
}
