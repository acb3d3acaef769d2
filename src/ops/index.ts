/**
 * The operations layer: the engine every front end (CLI, server, API, UI) calls. Observe the
 * fleet, build a plan for any change, execute an approved plan. See docs/architecture.md.
 */
export { OperationError, type EngineContext } from './context.js';
export {
  isHostKeyRefusal,
  nodeFacts,
  observe,
  pinHostKeys,
  recordRefresh,
  syncNodes,
  type Observed,
} from './observe.js';
export {
  makePlan,
  pendingStopWarnings,
  planHasChanges,
  recordedDesired,
  unfingerprintedWarnings,
} from './plan.js';
export {
  applyChange,
  latestDeployment,
  planDrain,
  planEligibility,
  planFail,
  planCollectGarbage,
  planPromote,
  type Garbage,
  planRollback,
  planScale,
  planStop,
  requireJob,
  resolveJobKey,
} from './builders.js';
export {
  executePlan,
  exitCodeOf,
  type ApplyResult,
  type ExecuteOptions,
  type JobResult,
} from './execute.js';
export { withStateLock } from './lock.js';
export { planImages } from './images.js';
export { isActiveDeployment } from '../plan/deployments.js';
export { forgetHostKey } from './host-keys.js';
export {
  childrenOf,
  launchOf,
  planDispatch,
  planPeriodicForce,
  type DispatchOptions,
} from './launch.js';
export { approvePlan, type ApproveRequest, type ApproveResult } from './approve.js';
export { recordSavedPlan, rejectSavedPlan, type RecordResult } from './saved-plans.js';
