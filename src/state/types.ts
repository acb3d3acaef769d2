/**
 * The state snapshot's types. They are generated from `schemas/state.schema.json` (`npm run
 * gen:types` writes `src/generated/state.ts`); change the schema, not this file. The rest of
 * drover imports them from here so the generated module stays an implementation detail.
 */
export type {
  AclPolicy,
  AclState,
  AclToken,
  AllocatedPort,
  AuditHook,
  AuditJobChange,
  AuditRecord,
  PlanApproval,
  Allocation,
  AllocationHealth,
  ClientStatus,
  Deployment,
  DeploymentGroupState,
  DeploymentStatus,
  DesiredStatus,
  DriverFingerprint,
  DriverHandle,
  JobState,
  JobVersion,
  NodeFingerprint,
  NodeInventory,
  NodeResources,
  NodeState,
  PinnedHostKey,
  StateEvent,
  StateSnapshot,
  StoredVariable,
  TaskState,
  RescheduleEvent,
  RescheduleTracker,
  Timestamp,
  VersionOrigin,
} from '../generated/state.js';
