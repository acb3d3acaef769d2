/**
 * One task group compiled for placement: its ask, its feasibility checks split into those the
 * computed-class memo may answer and those it may not, its distinct_* rules, affinities and
 * spreads, and the per-node counters placement keeps up to date.
 */
import { keyOfJob } from '../jobspec/job-key.js';
import type {
  NormalizedAffinity as Affinity,
  NormalizedConstraint as Constraint,
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedSpread as Spread,
} from '../generated/normalized-job.js';
import type { PreparedCluster } from './cluster.js';
import { checkOperator, constraintText, escapesClass, resolveTarget } from './constraints.js';
import { groupAsk, groupDrivers, groupPorts, type PortAsk, type ResourceAsk } from './resources.js';
import { failingHostVolume, hostVolumeChecks, type HostVolumeCheck } from './host-volumes.js';
import type { PlacementFailure } from './types.js';
import { Reasons } from './reasons.js';

export { Reasons, type ReasonKind } from './reasons.js';

export type Check =
  | { kind: 'constraint'; c: Constraint; reason: number }
  | { kind: 'driver'; driver: string; reason: number }
  | HostVolumeCheck;

export interface DistinctProperty {
  target: string;
  limit: number;
  /** Counted over the whole job (a job-level constraint) or over the group only. */
  jobLevel: boolean;
  /** Allocations per value of the target. */
  counts: Map<string, number>;
  reason: number;
}

export interface SpreadRule {
  target: string;
  weight: number;
  /** Whether the spread has targets (else allocations spread evenly). */
  targeted: boolean;
  /** The attribute values seen so far, numbered in order of discovery. */
  values: string[];
  valueIds: Map<string, number>;
  /** Per node: its value id, −1 when the node lacks the attribute, −2 until resolved. */
  nodeValue: Int32Array;
  /** Allocations of the group per value id. */
  counts: number[];
  /** Desired allocations per value id (the target, else the implicit "*" share, else NaN). */
  desired: number[];
  /** Explicit targets by value, and the share left for values without one (NaN: none). */
  targets: Map<string, number>;
  implicit: number;
  /** Values with at least one allocation, and the least and most used of them. */
  used: number;
  min: number;
  max: number;
}

export interface AffinityRule {
  a: Affinity;
  weight: number;
  escaped: boolean;
}

/** Counts shared by every group of a job. */
export interface JobCounters {
  onNode: Int32Array;
  /** distinct_property counts for job-level constraints, by attribute. */
  distinct: Map<string, Map<string, number>>;
}

export interface GroupPlan {
  job: Job;
  jobId: string;
  groupName: string;
  group: Group | undefined;
  batch: boolean;
  count: number;
  ask: ResourceAsk;
  staticPorts: PortAsk[];
  dynamicPorts: PortAsk[];
  hasPorts: boolean;
  /** Checks the class memo answers (job constraints, drivers, group and task constraints). */
  classChecks: Check[];
  /** Checks on unique attributes, run on every node. */
  nodeChecks: Check[];
  /** 0 none, 1 per group, 2 per job. */
  distinctHosts: 0 | 1 | 2;
  distinctHostsReason: number;
  distinctProperties: DistinctProperty[];
  affinities: AffinityRule[];
  affinityEscapes: boolean;
  /** Memo of the affinity score per computed class (NaN: unknown). */
  affinityMemo: Float64Array;
  spreads: SpreadRule[];
  spreadWeights: number;
  /** spread.go lowestSpreadBoost: what a 0% target scores, lowered as worse boosts are seen. */
  lowestSpreadBoost: number;
  /** Class feasibility memo: 0 unknown, 1 feasible, 2 not; and the reason id when not. */
  classState: Uint8Array;
  classReason: Int32Array;
  /** Allocations of this group per node. */
  onNode: Int32Array;
  jobCounters: JobCounters;
  reasons: Reasons;
  /** Dimension reason ids. */
  dims: { cpu: number; memory: number; disk: number; cores: number; dynamicPorts: number };
  staticPortReasons: number[];
  /** Set on the first failure; later placements of the group fail without a new search. */
  failure?: PlacementFailure;
  stickyDisk: boolean;
}

function allConstraints(job: Job, group: Group): { c: Constraint; jobLevel: boolean }[] {
  const out = (job.constraint ?? []).map((c) => ({ c, jobLevel: true }));
  for (const c of group.constraint ?? []) out.push({ c, jobLevel: false });
  for (const t of group.task) for (const c of t.constraint ?? []) out.push({ c, jobLevel: false });
  return out;
}

function spreadRule(s: Spread, count: number, n: number): SpreadRule {
  const targets = new Map<string, number>();
  let sum = 0;
  for (const t of s.target ?? []) {
    const d = ((t.percent ?? 0) / 100) * count;
    targets.set(t.value, d);
    sum += d;
  }
  return {
    target: s.attribute ?? '',
    weight: s.weight,
    targeted: targets.size > 0,
    values: [],
    valueIds: new Map(),
    nodeValue: new Int32Array(n).fill(-2),
    counts: [],
    desired: [],
    targets,
    implicit: sum > 0 && sum < count ? count - sum : NaN,
    used: 0,
    min: 0,
    max: 0,
  };
}

/** The id of node i's value for the rule (−1 when the node lacks it). */
export function spreadValueId(rule: SpreadRule, pc: PreparedCluster, i: number): number {
  let id = rule.nodeValue[i]!;
  if (id === -2) {
    const v = resolveTarget(rule.target, pc.facts[i]!);
    if (v === undefined) id = -1;
    else {
      id = rule.valueIds.get(v) ?? -1;
      if (id < 0) {
        id = rule.values.length;
        rule.values.push(v);
        rule.valueIds.set(v, id);
        rule.counts.push(0);
        rule.desired.push(rule.targets.get(v) ?? rule.implicit);
      }
    }
    rule.nodeValue[i] = id;
  }
  return id;
}

/** Counts one more allocation on value `id` and keeps the bounds of an even spread. */
export function countSpread(rule: SpreadRule, id: number): void {
  const c = ++rule.counts[id]!;
  if (c === 1) rule.used++;
  let min = 0;
  let max = 0;
  for (const v of rule.counts) {
    if (v === 0) continue;
    if (min === 0 || v < min) min = v;
    if (v > max) max = v;
  }
  rule.min = min;
  rule.max = max;
}

/** Allocations of the job per value of `target` (for a job-level distinct_property). */
function jobPropertyCounts(
  pc: PreparedCluster,
  jobId: string,
  target: string,
  freed: ReadonlySet<string>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of pc.allocsByJob.get(jobId) ?? []) {
    const i = freed.has(a.id) ? undefined : pc.indexOf.get(a.node);
    const v = i === undefined ? undefined : resolveTarget(target, pc.facts[i]!);
    if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

export function compileGroup(
  pc: PreparedCluster,
  job: Job,
  groupName: string,
  jobCounters: JobCounters,
  freed: ReadonlySet<string>,
): GroupPlan {
  const n = pc.nodes.length;
  const group = job.group.find((g) => g.name === groupName);
  const reasons = new Reasons();
  const dims = {
    cpu: reasons.id('dimension', 'cpu'),
    memory: reasons.id('dimension', 'memory'),
    disk: reasons.id('dimension', 'disk'),
    cores: reasons.id('dimension', 'cores'),
    dynamicPorts: reasons.id('dimension', 'network: dynamic port selection failed'),
  };
  const count = group?.count ?? 0;
  const plan: GroupPlan = {
    job,
    jobId: keyOfJob(job),
    groupName,
    group,
    batch: job.type === 'batch' || job.type === 'sysbatch',
    count,
    ask: group ? groupAsk(group) : { cpu: 0, memory: 0, disk: 0, cores: 0 },
    staticPorts: [],
    dynamicPorts: [],
    hasPorts: false,
    classChecks: [],
    nodeChecks: [],
    distinctHosts: 0,
    distinctHostsReason: reasons.id('constraint', 'distinct_hosts'),
    distinctProperties: [],
    affinities: [],
    affinityEscapes: false,
    affinityMemo: new Float64Array(pc.classCount).fill(NaN),
    spreads: [],
    spreadWeights: 0,
    lowestSpreadBoost: -1,
    classState: new Uint8Array(pc.classCount),
    classReason: new Int32Array(pc.classCount),
    onNode: new Int32Array(n),
    jobCounters,
    reasons,
    dims,
    staticPortReasons: [],
    stickyDisk: group?.ephemeral_disk.sticky === true,
  };
  if (!group) return plan;

  for (const p of groupPorts(group)) {
    if (p.static > 0) {
      plan.staticPorts.push(p);
      plan.staticPortReasons.push(
        reasons.id('dimension', `network: reserved port collision ${p.label}=${p.static}`),
      );
    } else plan.dynamicPorts.push(p);
    plan.hasPorts = true;
  }

  // Job constraints first, then drivers, then group and task constraints (Nomad's order).
  const constraints = allConstraints(job, group);
  const addConstraint = (c: Constraint): void => {
    const check: Check = {
      kind: 'constraint',
      c,
      reason: reasons.id('constraint', constraintText(c)),
    };
    if (escapesClass(c.attribute) || escapesClass(c.value)) plan.nodeChecks.push(check);
    else plan.classChecks.push(check);
  };
  for (const { c, jobLevel } of constraints) {
    const op = c.operator;
    if (op === 'distinct_hosts') {
      // `value = "false"` turns it off, as Nomad's strconv.ParseBool check does.
      if (c.value !== undefined && /^(false|0|f)$/i.test(c.value)) continue;
      plan.distinctHosts = Math.max(plan.distinctHosts, jobLevel ? 2 : 1) as 0 | 1 | 2;
      plan.distinctHostsReason = reasons.id('constraint', constraintText(c));
    } else if (op === 'distinct_property') {
      const target = c.attribute ?? '';
      const limit = c.value !== undefined && /^\d+$/.test(c.value) ? Number(c.value) : 1;
      let counts = new Map<string, number>();
      if (jobLevel) {
        counts =
          jobCounters.distinct.get(target) ?? jobPropertyCounts(pc, plan.jobId, target, freed);
        jobCounters.distinct.set(target, counts);
      }
      plan.distinctProperties.push({
        target,
        limit: Math.max(limit, 1),
        jobLevel,
        counts,
        reason: reasons.id('constraint', constraintText(c)),
      });
    } else if (jobLevel) addConstraint(c);
  }
  for (const d of groupDrivers(group)) {
    plan.classChecks.push({ kind: 'driver', driver: d, reason: reasons.id('driver', d) });
  }
  for (const { c, jobLevel } of constraints) {
    const op = c.operator;
    if (!jobLevel && op !== 'distinct_hosts' && op !== 'distinct_property') addConstraint(c);
  }
  // Host volumes are not part of the computed class: checked on every node, as Nomad does.
  plan.nodeChecks.push(...hostVolumeChecks(group, reasons));

  const affinities: Affinity[] = [...(job.affinity ?? []), ...(group.affinity ?? [])];
  for (const t of group.task) affinities.push(...(t.affinity ?? []));
  for (const a of affinities) {
    const escaped = escapesClass(a.attribute) || escapesClass(a.value);
    plan.affinityEscapes ||= escaped;
    plan.affinities.push({ a, weight: a.weight, escaped });
  }

  // Group spreads, then job spreads (spread.go computeSpreadInfo).
  for (const s of [...(group.spread ?? []), ...(job.spread ?? [])]) {
    const rule = spreadRule(s, count, n);
    plan.spreads.push(rule);
    plan.spreadWeights += rule.weight;
  }

  // Count the group's allocations already running (minus those this plan stops).
  for (const a of pc.allocsByJob.get(plan.jobId) ?? []) {
    if (a.group !== groupName || freed.has(a.id)) continue;
    const i = pc.indexOf.get(a.node);
    if (i === undefined) continue;
    plan.onNode[i] = plan.onNode[i]! + 1;
    for (const rule of plan.spreads) {
      const id = spreadValueId(rule, pc, i);
      if (id >= 0) countSpread(rule, id);
    }
    for (const dp of plan.distinctProperties) {
      if (dp.jobLevel) continue;
      const v = resolveTarget(dp.target, pc.facts[i]!);
      if (v !== undefined) dp.counts.set(v, (dp.counts.get(v) ?? 0) + 1);
    }
  }
  return plan;
}

/** The counters shared by the groups of one job, with its running allocations counted. */
export function jobCountersFor(
  pc: PreparedCluster,
  jobId: string,
  freed: ReadonlySet<string>,
): JobCounters {
  const onNode = new Int32Array(pc.nodes.length);
  for (const a of pc.allocsByJob.get(jobId) ?? []) {
    if (freed.has(a.id)) continue;
    const i = pc.indexOf.get(a.node);
    if (i !== undefined) onNode[i] = onNode[i]! + 1;
  }
  return { onNode, distinct: new Map() };
}

/** The reason id of the first check node i fails, or −1. */
export function firstFailingCheck(
  checks: readonly Check[],
  pc: PreparedCluster,
  i: number,
): number {
  const facts = pc.facts[i]!;
  for (const check of checks) {
    if (check.kind === 'driver') {
      if (!pc.drivers[i]!.has(check.driver)) return check.reason;
      continue;
    }
    if (check.kind === 'host-volume') {
      const failed = failingHostVolume(check, pc.nodes[i]!);
      if (failed >= 0) return failed;
      continue;
    }
    const c = check.c;
    const l = resolveTarget(c.attribute ?? '', facts);
    const r = resolveTarget(c.value ?? '', facts);
    if (!checkOperator(c.operator, l, r)) return check.reason;
  }
  return -1;
}
