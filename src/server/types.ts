/**
 * The seams of `drover server` (issue 15): what the HTTP API, the reconcile loop, ACLs, metrics
 * and the event stream share. Each part lives in its own folder under src/server/ and meets the
 * others only through these types:
 *
 *   settings  ServerSettings   drover.hcl's `server { … }` block, every default filled in
 *   core      ServerContext    the state as the server sees it (cached, with its change index),
 *                              blocking waits, leadership, the write path, events, metrics, log
 *   api/      Route[]          Nomad's HTTP API: each module exports routes; the HTTP layer does
 *                              auth, blocking, headers and errors, the handler only answers
 *   acl/      Authorizer       tokens and policies; the router asks it before every handler
 *   controller/               the leader's reconcile loop (node health, reschedule, deployments,
 *                              periodic launches, self-heal, GC), one pass = one plan → execute
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { EngineContext } from '../ops/context.js';
import type { Observed } from '../ops/observe.js';
import type { StateSnapshot } from '../state/types.js';
import type { ServerSettings } from '../config/types.js';

/**
 * drover.hcl's `server` block as the server uses it. Defined in config/types.ts, beside the rest
 * of drover.hcl's settings (config/ loads it and must not import server/); re-exported here.
 */
export type { ServerSettings };

/** The state as the server last read it. `index` is the global change index (the state's serial, at least 1). */
export interface IndexedState {
  readonly state: StateSnapshot;
  readonly index: number;
}

export interface Leadership {
  /** This server acts (reconciles, accepts writes). */
  readonly isLeader: boolean;
  /** `name` (address:port) of the current leader, when one is known. */
  readonly leader?: string;
  /** The fencing epoch of the current lease; every leader write is checked against it. */
  readonly epoch: number;
  /** Milliseconds since this server last heard from the leader (0 on the leader). */
  readonly lastContactMs: number;
}

/** Someone acting: a CLI user, an API token's name, or the server itself (`server:<name>`). */
export interface Actor {
  /** What the audit trail and events record as `who`. */
  readonly name: string;
  /** The ACL token's accessor id, when the request had one. */
  readonly accessorId?: string;
}

/** One event of Nomad's event stream (`/v1/event/stream`), in Nomad's field names. */
export interface NomadEvent {
  /** Nomad's topics, plus `Drover`: the state's own log (who did what, the server's decisions). */
  Topic:
    'Job' | 'Allocation' | 'Deployment' | 'Evaluation' | 'Node' | 'Service' | 'Variable' | 'Drover';
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[];
  Index: number;
  Payload: Record<string, unknown>;
}

/** What the server publishes: state changes as Nomad events plus its own decisions. */
export interface EventHub {
  /** Events with Index > `after`, oldest first (from the oldest kept when `after` was evicted). */
  since(after: number): NomadEvent[];
  /** Called with each batch of new events; returns the unsubscribe function. */
  subscribe(listener: (events: readonly NomadEvent[]) => void): () => void;
}

/** A counter, gauge or timing sample, as `/v1/metrics` reports them. */
export interface Metrics {
  increment(name: string, labels?: Record<string, string>, by?: number): void;
  gauge(name: string, value: number, labels?: Record<string, string>): void;
  /** A duration sample in milliseconds. */
  sample(name: string, ms: number, labels?: Record<string, string>): void;
}

/** The server's log: one line per decision or request, text or JSON (`logJson`). */
export interface ServerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a write does once it holds the state lock and has observed the fleet. */
export type WriteBody<T> = (engine: EngineContext, observed: Observed) => Promise<T>;

export interface ServerContext {
  readonly settings: ServerSettings;
  /** The engine (config, nodes, store, drivers, transports, clock) writes run on. */
  readonly engine: EngineContext;
  /** The latest state; re-read from the store when its index may have moved. */
  current(): Promise<IndexedState>;
  /**
   * Resolves once the change index is greater than `index`, or after `waitMs`, or when `signal`
   * aborts, with the state at that moment (a return does not promise a change).
   */
  waitForIndex(index: number, waitMs: number, signal?: AbortSignal): Promise<IndexedState>;
  leadership(): Leadership;
  /**
   * Runs `body` as the leader under the state lock (waiting for a CLI that holds it), after
   * observing the fleet; refuses with `NotLeaderError` on a follower. The operation name goes
   * into the lock info and the audit trail.
   */
  write<T>(actor: Actor, operation: string, body: WriteBody<T>): Promise<T>;
  /**
   * Tells the context that this server wrote the state itself, outside `write` (ACL writes):
   * resolves once `current()` returns that write or a later one. Without it a request right
   * after the write could see the state from before it (the change feed is asynchronous).
   */
  wrote?(): Promise<void>;
  readonly events: EventHub;
  readonly metrics: Metrics;
  readonly log: ServerLog;
}

/** A write reached a server that is not the leader. The API answers 500 "No cluster leader" like Nomad, or forwards. */
export class NotLeaderError extends Error {}

/** An API error with its HTTP status; the body is the plain-text message, as Nomad's. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What an ACL rule must allow for a route (Nomad's policy language). */
export type Access =
  | { kind: 'public' }
  | { kind: 'namespace'; capability: NamespaceCapability }
  | { kind: 'node' | 'agent' | 'operator'; level: 'read' | 'write' }
  | { kind: 'management' }
  /** One Variable's path (`variables` rules); handlers ask it, routes ask `variable-read|write`. */
  | { kind: 'variable'; op: 'list' | 'read' | 'write' | 'destroy'; path: string };

export type NamespaceCapability =
  | 'list-jobs'
  | 'read-job'
  | 'submit-job'
  | 'dispatch-job'
  | 'read-logs'
  | 'read-fs'
  | 'alloc-lifecycle'
  | 'scale-job'
  | 'read-job-scaling'
  | 'list-scaling-policies'
  | 'variable-read'
  | 'variable-write';

/** What a request's token may do. With ACLs off every check passes. */
export interface Authorizer {
  /** Resolves the token of a request (absent: anonymous); throws ApiError 403 for an unknown or expired one. */
  identify(secret: string | undefined): Promise<Identity>;
}

export interface Identity {
  readonly actor: Actor;
  readonly management: boolean;
  /** Whether this identity may do `access` in `namespace` (for namespace rules). */
  allows(access: Access, namespace?: string): boolean;
}

export interface ApiRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  /** Values of the route's `:name` segments (URL-decoded); a trailing `*` is `params.rest`. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The `namespace` query parameter (default `default`; `*` = all). */
  readonly namespace: string;
  readonly identity: Identity;
  readonly server: ServerContext;
  /** The JSON body (parsed once); ApiError 400 when it is not JSON. */
  json(): Promise<unknown>;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
}

export type ApiReply =
  | {
      status?: number;
      /** Sent as JSON. */
      json?: unknown;
      /** Sent as text/plain (errors, raw logs). */
      text?: string;
      /** X-Nomad-Index; defaults to the index of the state the handler read. */
      index?: number;
      headers?: Record<string, string>;
    }
  | {
      /** A streamed answer (event stream, followed logs): write to `res` until `signal` aborts. */
      stream: (res: ServerResponse, signal: AbortSignal) => Promise<void>;
    };

export interface Route {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** e.g. `/v1/job/:id/allocations`; `:id` matches one segment, a final `*` the rest. */
  readonly path: string;
  readonly access: Access;
  /**
   * Honour `index` and `wait` (blocking query): answer once the reply's index passes `index`,
   * running the handler again on each change of the state, or when the wait is over.
   */
  readonly blocking?: boolean;
  /**
   * The answer of a GET depends only on the state at its index, the path and query and the
   * caller's view (no clock, no leadership): the HTTP layer keeps it serialized while the index
   * does not move.
   */
  readonly cached?: boolean;
  readonly handler: (req: ApiRequest) => Promise<ApiReply>;
}
