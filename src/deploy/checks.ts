/**
 * Health checks of deployments (issue 4): the group's and tasks' `service { check {…} }` of
 * type http, tcp and script, run from drover through the node's transport so hosts need
 * nothing installed. This module is the entry point; the parts live beside it:
 *
 * - check-spec.ts: `checksOf` — the checks of an allocation, ports resolved (pure)
 * - check-run.ts: `runCheck` — one run of one check (http/tcp via transport, script via exec)
 * - check-http.ts: HTTP/1.1 over the transport's stream, status rules
 * - check-state.ts: thresholds, check_restart, the allocation's check health (pure)
 * - check-watcher.ts: `CheckWatcher` — every check on its interval, with an injected clock
 */
export {
  checksOf,
  type CheckOnUpdate,
  type CheckRestartSpec,
  type CheckSpec,
  type CheckStatus,
  type CheckType,
} from './check-spec.js';
export { runCheck, scriptStatus, type CheckResult, type CheckTarget } from './check-run.js';
export { classifyHttpStatus } from './check-http.js';
export {
  allocCheckHealth,
  applyResult,
  initialCheckState,
  type AllocCheckHealth,
  type AllocCheckStatus,
  type CheckState,
} from './check-state.js';
export {
  CheckWatcher,
  systemWatchClock,
  type CheckHealth,
  type CheckWatcherOptions,
  type RestartRequest,
  type RunCheck,
  type WatchClock,
} from './check-watcher.js';
