/**
 * Evaluations as Nomad's read API answers them (api/evaluations.go). drover stores none: every
 * job version was registered by one, so one is synthesized per version, with the stable id
 * `evaluationId(job, version)` a write returns, status `complete` (drover plans and applies in
 * one step). Pure.
 */
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { JobVersion, StateSnapshot } from '../../state/types.js';
import { ZERO_TIME, jobModifyIndex, nanos, stampedIndex, type JobView } from './common.js';
import { evaluationId } from './ids.js';
import { lookups } from './state-index.js';

type Json = Record<string, unknown>;

/** Nomad's TriggeredBy for what made a version. */
function triggeredBy(version: JobVersion): string {
  switch (version.origin?.kind) {
    case 'periodic':
      return 'periodic-job';
    case 'scale':
      return 'job-scaling';
    case 'auto-revert':
      return 'deployment-watcher';
    default:
      return 'job-register';
  }
}

/** api.Evaluation of version `version` of a job. */
export function nomadEvaluation(
  state: StateSnapshot,
  view: JobView,
  version: JobVersion,
  index: number,
): Json {
  const job = decodeStoredJob(version);
  const deployment = lookups(state)
    .deploymentsOf(view.id)
    .find((d) => d.version === version.version);
  return {
    ID: evaluationId(view.id, version.version),
    Priority: job.priority,
    Type: job.type,
    TriggeredBy: triggeredBy(version),
    Namespace: view.namespace,
    JobID: view.jobId,
    JobModifyIndex: jobModifyIndex(version),
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: deployment?.id ?? '',
    Status: 'complete',
    StatusDescription: '',
    Wait: 0,
    WaitUntil: ZERO_TIME,
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    RelatedEvals: null,
    FailedTGAllocs: null,
    ClassEligibility: null,
    EscapedComputedClass: false,
    QuotaLimitReached: '',
    AnnotatePlan: false,
    QueuedAllocations: Object.fromEntries(job.group.map((g) => [g.name, 0])),
    SnapshotIndex: index,
    // drover's evaluations complete as they are made: never modified after.
    CreateIndex: stampedIndex(version.create_index, index),
    ModifyIndex: stampedIndex(version.create_index, index),
    CreateTime: nanos(version.submitted_at),
    ModifyTime: nanos(version.submitted_at),
  };
}

/** The evaluations of one job, newest first. */
export function jobEvaluations(state: StateSnapshot, view: JobView, index: number): Json[] {
  return [...view.record.versions]
    .sort((a, b) => b.version - a.version)
    .map((v) => nomadEvaluation(state, view, v, index));
}

/** Every evaluation of every job, newest first. */
export function allEvaluations(state: StateSnapshot, index: number): Json[] {
  return lookups(state)
    .views.flatMap((view) => jobEvaluations(state, view, index))
    .sort((a, b) => (b.CreateTime as number) - (a.CreateTime as number));
}
