/**
 * `drover server` as a library: start one on an engine (the CLI's `drover server` does exactly
 * this), or build its parts alone (tests, benchmarks).
 */
export { startServer, emptyEventHub, unrecordedMetrics } from './run.js';
export type { RunningServer, ServerParts, PublishingHub } from './run.js';
export { createServerContext, indexOf } from './context.js';
export type { ContextParts, RunningContext } from './context.js';
export { createServer, createApiHandler, aclsOff } from './http.js';
export { allRoutes } from './api/index.js';
export { createServerLog } from './log.js';
export { createElection } from './leader.js';
export type { Election } from './leader.js';
