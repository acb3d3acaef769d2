/**
 * Deployments as Nomad's read API answers them (api/deployments.go). A group's ProgressDeadline
 * and AutoPromote come from the update block of the job version deployed. Pure.
 */
import { jobIdentity, namespaceOfKey } from '../../state/job-key.js';
import { decodeStoredJob } from '../../jobspec/stored.js';
import type { Deployment, StateSnapshot } from '../../state/types.js';
import { byKey, createIndexOf, durationNs, goTime, modifyIndexOf, nanos } from './common.js';

type Json = Record<string, unknown>;

/** api.Deployment. */
export function nomadDeployment(state: StateSnapshot, d: Deployment, index: number): Json {
  const record = state.jobs[d.job];
  const stored = record?.versions.find((v) => v.version === d.version);
  const job = stored ? decodeStoredJob(stored) : undefined;
  const groups: Record<string, Json> = {};
  for (const [name, g] of byKey(Object.entries(d.groups))) {
    const spec = job?.group.find((x) => x.name === name);
    const update = spec?.update ?? job?.update;
    groups[name] = {
      PlacedCanaries: g.placed_canaries.length > 0 ? [...g.placed_canaries] : null,
      AutoRevert: g.auto_revert,
      AutoPromote: update?.auto_promote ?? false,
      ProgressDeadline: durationNs(update?.progress_deadline),
      RequireProgressBy: goTime(g.progress_deadline),
      Promoted: g.promoted,
      DesiredCanaries: g.desired_canaries,
      DesiredTotal: g.desired_total,
      PlacedAllocs: g.placed,
      HealthyAllocs: g.healthy,
      UnhealthyAllocs: g.unhealthy,
    };
  }
  return {
    ID: d.id,
    Namespace: namespaceOfKey(state, d.job),
    JobID: jobIdentity(state, d.job).id,
    JobVersion: d.version,
    JobModifyIndex: d.version + 1,
    JobSpecModifyIndex: d.version + 1,
    JobCreateIndex: record ? createIndexOf(record, index) : index,
    IsMultiregion: false,
    TaskGroups: groups,
    Status: d.status,
    StatusDescription: d.status_description,
    EvalPriority: job?.priority ?? 50,
    CreateIndex: createIndexOf(d, index),
    ModifyIndex: modifyIndexOf(d, index),
    CreateTime: nanos(d.created_at),
    ModifyTime: nanos(d.modified_at ?? d.created_at),
  };
}
