/**
 * Placement: for each allocation to create, find a node. Nomad's generic stack
 * (scheduler/feasible/stack.go) step by step:
 *
 * 1. The job's candidate nodes (its datacenters and pool, eligible) are shuffled once per
 *    evaluation with the seeded RNG, lazily, and every placement continues where the last one
 *    stopped, wrapping around.
 * 2. Feasibility: job constraints, drivers, group and task constraints, memoised per computed
 *    node class; constraints on unique attributes run per node; then distinct_hosts and
 *    distinct_property; then resources and ports (the node is "exhausted" when they do not fit).
 * 3. Ranking: bin-pack (or spread) fit, job anti-affinity, the rescheduling penalty, node
 *    affinity, spread; the final score is their mean.
 * 4. A limit: about log2(N) feasible nodes are scored per placement (2 for batch jobs,
 *    max(100, count) with affinities or spreads), skipping up to 3 with a score ≤ 0, and the
 *    best wins (the first of equals).
 *
 * Node usage lives in typed arrays; the per-node loop allocates nothing.
 */
import { keyOfJob } from '../jobspec/job-key.js';
import type { PreparedCluster } from './cluster.js';
import { candidatesFor, isPrepared, prepareCluster } from './cluster.js';
import { checkOperator, resolveTarget } from './constraints.js';
import {
  compileGroup,
  jobCountersFor,
  countSpread,
  firstFailingCheck,
  spreadValueId,
  type Check,
  type GroupPlan,
  type JobCounters,
} from './group-plan.js';
import { buildMetrics, failureReason, mergeMetrics, nodeRejection, type Tally } from './metrics.js';
import { NodeSource } from './node-source.js';
import { createRng, type Rng } from './rng.js';
import type {
  Cluster,
  PlaceOptions,
  FilteredNode,
  PlaceResult,
  Placement,
  PlacementFailure,
  PlacementRequest,
} from './types.js';
import type { AllocatedPort } from '../state/types.js';

/** The best possible fit score (rank.go binPackingMaxFitScore). */
export const MAX_FIT_SCORE = 18;

/** Nomad's default dynamic port range. */
export const DEFAULT_DYNAMIC_PORTS = { min: 20000, max: 32000 };
/** Nomad's LimitIterator: nodes scoring at or below 0 may be skipped, at most 3. */
const SKIP_SCORE_THRESHOLD = 0;
const MAX_SKIP = 3;
/** Nomad's nodeLimitForFeasibilityChecks default, used with affinities and spreads. */
const AFFINITY_SPREAD_LIMIT = 100;
/** Random picks of a dynamic port before scanning the range for a free one. */
const RANDOM_PORT_ATTEMPTS = 20;

/** Places every request, in order, as one evaluation. */
export function place(
  requests: readonly PlacementRequest[],
  cluster: Cluster | PreparedCluster,
  options: PlaceOptions,
): PlaceResult {
  const pc = isPrepared(cluster) ? cluster : prepareCluster(cluster);
  const ev = new Evaluation(pc, options);
  for (const req of requests) ev.placeOne(req);
  return {
    placements: ev.placements,
    failures: ev.failures(),
    stats: ev.stats,
    ...(ev.filtered.length > 0 ? { filtered: ev.filtered } : {}),
  };
}

class Evaluation {
  readonly placements: Placement[] = [];
  readonly stats = { nodesEvaluated: 0, nodesScored: 0 };
  readonly filtered: FilteredNode[] = [];
  private readonly rng: Rng;
  private readonly binpack: boolean;
  private readonly fullScan: boolean;
  private readonly portMin: number;
  private readonly portMax: number;
  private readonly freed: ReadonlySet<string>;
  private readonly usedCpu: Float64Array;
  private readonly usedMem: Float64Array;
  private readonly usedDisk: Float64Array;
  private readonly usedCores: Int32Array;
  /** Port sets changed by this evaluation, per node (copy on write). */
  private readonly portOverlay: (Set<number> | undefined)[];
  private readonly sources = new Map<string, NodeSource>();
  private readonly jobs = new Map<string, JobCounters>();
  private readonly plans = new Map<string, GroupPlan>();
  private readonly limits = new Map<GroupPlan, number>();
  private readonly tallies = new Map<GroupPlan, Tally>();
  private readonly failed: GroupPlan[] = [];
  private tally: Tally = { evaluated: 0, filtered: 0, exhausted: 0, counters: new Int32Array(0) };
  private readonly skipNodes = new Int32Array(MAX_SKIP);
  private readonly skipScores = new Float64Array(MAX_SKIP);
  /** Whether the node `evaluate` last looked at is feasible and fits. */
  private lastOk = false;
  /** The score of the node `select` picked. */
  private lastScore = 0;

  constructor(
    private readonly pc: PreparedCluster,
    options: PlaceOptions,
  ) {
    this.rng = createRng(options.seed);
    this.binpack = (options.algorithm ?? 'binpack') === 'binpack';
    this.fullScan = options.fullScan === true;
    this.portMin = options.dynamicPorts?.min ?? DEFAULT_DYNAMIC_PORTS.min;
    this.portMax = options.dynamicPorts?.max ?? DEFAULT_DYNAMIC_PORTS.max;
    this.freed = options.freed ?? new Set();
    this.usedCpu = pc.usedCpu.slice();
    this.usedMem = pc.usedMem.slice();
    this.usedDisk = pc.usedDisk.slice();
    this.usedCores = pc.usedCores.slice();
    this.portOverlay = new Array<Set<number> | undefined>(pc.nodes.length);
    for (const id of this.freed) {
      const a = pc.allocById.get(id);
      const i = a ? pc.indexOf.get(a.node) : undefined;
      if (!a || i === undefined) continue;
      this.usedCpu[i] = this.usedCpu[i]! - a.cpu;
      this.usedMem[i] = this.usedMem[i]! - a.memory;
      this.usedDisk[i] = this.usedDisk[i]! - a.disk;
      this.usedCores[i] = this.usedCores[i]! - a.cores;
      const set = this.mutablePorts(i);
      for (const p of a.ports) set.delete(p);
    }
  }

  placeOne(req: PlacementRequest): void {
    const plan = this.planFor(req);
    if (req.node !== undefined) return this.placeOnNode(plan, req);
    if (plan.failure) {
      // Nothing changed since the group last failed: count it, as Nomad coalesces failures.
      plan.failure.failed++;
      plan.failure.names.push(req.name);
      return;
    }
    const source = this.sourceFor(plan.jobId, plan);
    if (!plan.group) {
      this.tally = this.tallies.get(plan)!;
      this.fail(plan, req, source, `group "${req.group}" is not in job "${plan.jobId}"`);
      return;
    }
    const node = this.select(plan, req, source);
    if (node < 0) this.fail(plan, req, source);
    else this.commit(plan, req, node);
  }

  failures(): PlacementFailure[] {
    return this.failed.map((p) => p.failure!);
  }

  private planFor(req: PlacementRequest): GroupPlan {
    const jobKey = keyOfJob(req.job);
    const key = `${jobKey}\u0000${req.group}`;
    let plan = this.plans.get(key);
    if (plan && plan.job !== req.job) plan = undefined;
    if (!plan) {
      let jc = this.jobs.get(jobKey);
      if (!jc) this.jobs.set(jobKey, (jc = jobCountersFor(this.pc, jobKey, this.freed)));
      plan = compileGroup(this.pc, req.job, req.group, jc, this.freed);
      this.plans.set(key, plan);
      this.tallies.set(plan, {
        evaluated: 0,
        filtered: 0,
        exhausted: 0,
        counters: new Int32Array(plan.reasons.texts.length),
      });
    }
    return plan;
  }

  private sourceFor(jobId: string, plan: GroupPlan): NodeSource {
    let source = this.sources.get(jobId);
    if (!source) {
      const cand = candidatesFor(this.pc, plan.job.datacenters, plan.job.node_pool);
      source = new NodeSource(cand, this.pc.nodes.length, this.rng);
      this.sources.set(jobId, source);
    }
    if (!this.limits.has(plan)) {
      const n = source.size;
      let limit = plan.batch ? 2 : Math.max(2, Math.ceil(Math.log2(Math.max(n, 1))));
      if (plan.affinities.length > 0 || plan.spreads.length > 0)
        limit = Math.max(AFFINITY_SPREAD_LIMIT, plan.count);
      this.limits.set(plan, this.fullScan ? Infinity : limit);
    }
    return source;
  }

  private fail(plan: GroupPlan, req: PlacementRequest, source: NodeSource, why?: string): void {
    const metrics = buildMetrics(this.tally, plan.reasons, source.candidates);
    plan.failure = {
      job: plan.jobId,
      group: req.group,
      failed: 1,
      names: [req.name],
      metrics,
      reason: why ?? failureReason(metrics, req.job.datacenters, req.job.node_pool),
    };
    this.failed.push(plan);
  }

  /**
   * A request pinned to a node (system jobs, scheduler_system.go): that node alone is checked.
   * An infeasible node is skipped and reported as filtered; a feasible one without room is a
   * placement failure, merged with the group's others.
   */
  private placeOnNode(plan: GroupPlan, req: PlacementRequest): void {
    const source = this.sourceFor(plan.jobId, plan);
    const tally = (this.tally = this.tallies.get(plan)!);
    tally.evaluated = 0;
    tally.filtered = 0;
    tally.exhausted = 0;
    tally.counters.fill(0);
    const i = this.pc.indexOf.get(req.node!) ?? -1;
    const score = i >= 0 && source.member[i] && plan.group ? this.evaluate(plan, i, -1) : NaN;
    if (i >= 0 && this.lastOk) {
      this.lastScore = score;
      this.commit(plan, req, i);
      return;
    }
    const metrics = buildMetrics(tally, plan.reasons, source.candidates);
    if (tally.exhausted === 0) {
      this.filtered.push({
        group: req.group,
        node: req.node!,
        reason: plan.group ? nodeRejection(metrics) : `group "${req.group}" is not in the job`,
        metrics,
      });
      return;
    }
    const f = plan.failure;
    const merged = f ? mergeMetrics(f.metrics, metrics) : metrics;
    plan.failure = {
      job: plan.jobId,
      group: req.group,
      failed: (f?.failed ?? 0) + 1,
      names: [...(f?.names ?? []), req.name],
      metrics: merged,
      reason: failureReason(merged, req.job.datacenters, req.job.node_pool),
    };
    if (!f) this.failed.push(plan);
  }

  /** The winning node for one placement, or −1. */
  private select(plan: GroupPlan, req: PlacementRequest, source: NodeSource): number {
    const pc = this.pc;
    this.tally = this.tallies.get(plan)!;
    const prev = req.previousNode === undefined ? -1 : (pc.indexOf.get(req.previousNode) ?? -1);
    const penalty = req.reason === 'failed' ? prev : -1;

    // A sticky or migrating ephemeral disk prefers the node the replaced allocation was on.
    const disk = plan.group?.ephemeral_disk;
    if (prev >= 0 && (disk?.sticky || disk?.migrate) && source.member[prev]) {
      const s = this.evaluate(plan, prev, penalty);
      if (this.lastOk) {
        this.lastScore = s;
        return prev;
      }
    }

    let best = -1;
    let bestScore = -Infinity;
    // Metrics describe the search, not the preferred node.
    const tally = this.tally;
    tally.evaluated = 0;
    tally.filtered = 0;
    tally.exhausted = 0;
    tally.counters.fill(0);

    const limit = this.limits.get(plan)!;
    const skip = !this.fullScan;
    let seen = 0;
    let skipped = 0;
    source.begin();
    while (seen < limit) {
      const i = source.next();
      if (i < 0) break;
      const s = this.evaluate(plan, i, penalty);
      if (!this.lastOk) continue;
      if (skip && s <= SKIP_SCORE_THRESHOLD && skipped < MAX_SKIP) {
        this.skipNodes[skipped] = i;
        this.skipScores[skipped] = s;
        skipped++;
        continue;
      }
      seen++;
      if (s > bestScore) {
        best = i;
        bestScore = s;
      }
    }
    for (let k = 0; k < skipped && seen < limit; k++, seen++) {
      if (this.skipScores[k]! > bestScore) {
        best = this.skipNodes[k]!;
        bestScore = this.skipScores[k]!;
      }
    }
    this.lastScore = bestScore;
    return best;
  }

  /** Scores node i for the plan; `lastOk` tells whether it is feasible and fits. */
  private evaluate(plan: GroupPlan, i: number, penalty: number): number {
    const pc = this.pc;
    const tally = this.tally;
    tally.evaluated++;
    this.stats.nodesEvaluated++;
    this.lastOk = false;

    const cls = pc.classOf[i]!;
    let state = plan.classState[cls]!;
    if (state === 0) state = this.checkClass(plan, i, cls);
    if (state === 2) return this.filter(plan.classReason[cls]!);
    if (plan.nodeChecks.length > 0) {
      const r = this.failingCheck(plan.nodeChecks, i);
      if (r >= 0) return this.filter(r);
    }
    if (plan.distinctHosts !== 0) {
      const on = plan.distinctHosts === 2 ? plan.jobCounters.onNode[i]! : plan.onNode[i]!;
      if (on > 0) return this.filter(plan.distinctHostsReason);
    }
    for (let k = 0; k < plan.distinctProperties.length; k++) {
      const dp = plan.distinctProperties[k]!;
      const v = resolveTarget(dp.target, pc.facts[i]!);
      if (v === undefined || (dp.counts.get(v) ?? 0) >= dp.limit) return this.filter(dp.reason);
    }

    // Ports, then resources (Nomad assigns the network before checking the fit).
    if (plan.hasPorts) {
      const ports = this.portOverlay[i] ?? pc.ports[i];
      if (ports !== undefined) {
        for (let k = 0; k < plan.staticPorts.length; k++) {
          const p = plan.staticPorts[k]!;
          if (!p.ignoreCollision && ports.has(p.static))
            return this.exhaust(plan.staticPortReasons[k]!);
        }
        if (plan.dynamicPorts.length > 0 && !this.dynamicRoom(ports, plan.dynamicPorts.length))
          return this.exhaust(plan.dims.dynamicPorts);
      }
    }
    const ask = plan.ask;
    if (ask.cores > 0 && this.usedCores[i]! + ask.cores > pc.capCores[i]!)
      return this.exhaust(plan.dims.cores);
    const capCpu = pc.capCpu[i]!;
    const utilCpu = this.usedCpu[i]! + ask.cpu + ask.cores * pc.cpuPerCore[i]!;
    if (utilCpu > capCpu) return this.exhaust(plan.dims.cpu);
    const capMem = pc.capMem[i]!;
    const utilMem = this.usedMem[i]! + ask.memory;
    if (utilMem > capMem) return this.exhaust(plan.dims.memory);
    const capDisk = pc.capDisk[i]!;
    if (capDisk === capDisk && this.usedDisk[i]! + ask.disk > capDisk)
      return this.exhaust(plan.dims.disk);

    // Scores (rank.go), averaged.
    const freeCpu = capCpu > 0 ? 1 - utilCpu / capCpu : 0;
    const freeMem = capMem > 0 ? 1 - utilMem / capMem : 0;
    // 10^x as e^(x·ln 10): the same number to the last bits, three times faster than Math.pow.
    const total = Math.exp(freeCpu * Math.LN10) + Math.exp(freeMem * Math.LN10);
    let fit = this.binpack ? 20 - total : total - 2;
    fit = fit < 0 ? 0 : fit > MAX_FIT_SCORE ? MAX_FIT_SCORE : fit;
    let sum = fit / MAX_FIT_SCORE;
    let parts = 1;
    const collisions = plan.onNode[i]!;
    if (collisions > 0) {
      sum -= (collisions + 1) / (plan.count > 0 ? plan.count : 1);
      parts++;
    }
    if (i === penalty) {
      sum -= 1;
      parts++;
    }
    if (plan.affinities.length > 0) {
      sum += this.affinity(plan, i, cls);
      parts++;
    }
    if (plan.spreads.length > 0) {
      const s = this.spread(plan, i);
      if (s !== 0) {
        sum += s;
        parts++;
      }
    }
    this.lastOk = true;
    this.stats.nodesScored++;
    return sum / parts;
  }

  private filter(reason: number): number {
    const t = this.tally;
    t.filtered++;
    t.counters[reason] = t.counters[reason]! + 1;
    return NaN;
  }

  private exhaust(reason: number): number {
    const t = this.tally;
    t.exhausted++;
    t.counters[reason] = t.counters[reason]! + 1;
    return NaN;
  }

  private checkClass(plan: GroupPlan, i: number, cls: number): number {
    const r = this.failingCheck(plan.classChecks, i);
    if (r >= 0) {
      plan.classState[cls] = 2;
      plan.classReason[cls] = r;
      return 2;
    }
    plan.classState[cls] = 1;
    return 1;
  }

  /** The reason id of the first check node i fails, or −1. */
  private failingCheck(checks: readonly Check[], i: number): number {
    return firstFailingCheck(checks, this.pc, i);
  }

  private affinity(plan: GroupPlan, i: number, cls: number): number {
    if (!plan.affinityEscapes) {
      const memo = plan.affinityMemo[cls]!;
      if (memo === memo) return memo;
    }
    const facts = this.pc.facts[i]!;
    let sum = 0;
    let total = 0;
    for (const rule of plan.affinities) {
      total += Math.abs(rule.weight);
      const a = rule.a;
      const l = resolveTarget(a.attribute ?? '', facts);
      const r = resolveTarget(a.value ?? '', facts);
      if (checkOperator(a.operator, l, r)) sum += rule.weight;
    }
    const score = total === 0 ? 0 : sum / total;
    if (!plan.affinityEscapes) plan.affinityMemo[cls] = score;
    return score;
  }

  /** spread.go SpreadIterator for node i. */
  private spread(plan: GroupPlan, i: number): number {
    let total = 0;
    for (let k = 0; k < plan.spreads.length; k++) {
      const rule = plan.spreads[k]!;
      const id = spreadValueId(rule, this.pc, i);
      if (id < 0) {
        total -= 1;
        continue;
      }
      const current = rule.counts[id]!;
      if (!rule.targeted) {
        // Even spread (evenSpreadScoreBoost).
        if (rule.used === 0) continue;
        const min = rule.min;
        const max = rule.max;
        if (current !== min) total += min === 0 ? -1 : (min - current) / min;
        else if (min === max) total -= 1;
        else if (min === 0) total += 1;
        else total += (max - min) / min;
        continue;
      }
      const desired = rule.desired[id]!;
      if (desired !== desired) {
        total -= 1;
        continue;
      }
      if (desired === 0) {
        total += plan.lowestSpreadBoost;
        continue;
      }
      const boost = ((desired - (current + 1)) / desired) * (rule.weight / plan.spreadWeights);
      total += boost;
      if (boost < plan.lowestSpreadBoost) plan.lowestSpreadBoost = boost;
    }
    return total;
  }

  private dynamicRoom(ports: ReadonlySet<number>, need: number): boolean {
    const size = this.portMax - this.portMin + 1;
    if (ports.size + need <= size) return true;
    let inRange = 0;
    for (const p of ports) if (p >= this.portMin && p <= this.portMax) inRange++;
    return size - inRange >= need;
  }

  private mutablePorts(i: number): Set<number> {
    let set = this.portOverlay[i];
    if (!set) {
      set = new Set(this.pc.ports[i] ?? []);
      this.portOverlay[i] = set;
    }
    return set;
  }

  private pickPort(used: Set<number>): number {
    const span = this.portMax - this.portMin + 1;
    for (let k = 0; k < RANDOM_PORT_ATTEMPTS; k++) {
      const p = this.portMin + this.rng.int(span);
      if (!used.has(p)) return p;
    }
    const free: number[] = [];
    for (let p = this.portMin; p <= this.portMax; p++) if (!used.has(p)) free.push(p);
    return free[this.rng.int(free.length)]!;
  }

  private commit(plan: GroupPlan, req: PlacementRequest, i: number): void {
    const pc = this.pc;
    const ask = plan.ask;
    const cpu = ask.cpu + ask.cores * pc.cpuPerCore[i]!;
    this.usedCpu[i] = this.usedCpu[i]! + cpu;
    this.usedMem[i] = this.usedMem[i]! + ask.memory;
    this.usedDisk[i] = this.usedDisk[i]! + ask.disk;
    this.usedCores[i] = this.usedCores[i]! + ask.cores;
    plan.onNode[i] = plan.onNode[i]! + 1;
    plan.jobCounters.onNode[i] = plan.jobCounters.onNode[i]! + 1;
    for (const rule of plan.spreads) {
      const id = spreadValueId(rule, pc, i);
      if (id >= 0) countSpread(rule, id);
    }
    for (const dp of plan.distinctProperties) {
      const v = resolveTarget(dp.target, pc.facts[i]!);
      if (v !== undefined) dp.counts.set(v, (dp.counts.get(v) ?? 0) + 1);
    }

    const ports: AllocatedPort[] = [];
    if (plan.staticPorts.length > 0 || plan.dynamicPorts.length > 0) {
      const used = this.mutablePorts(i);
      const hostIp = pc.nodes[i]!.address ?? '0.0.0.0';
      for (const p of plan.staticPorts) {
        used.add(p.static);
        ports.push(allocated(p.label, p.static, p.to, hostIp));
      }
      for (const p of plan.dynamicPorts) {
        const value = this.pickPort(used);
        used.add(value);
        ports.push(allocated(p.label, value, p.to, hostIp));
      }
    }
    this.placements.push({
      job: plan.jobId,
      group: req.group,
      name: req.name,
      index: req.index,
      node: pc.nodes[i]!.name,
      ports,
      resources: { cpu, memory: ask.memory, disk: ask.disk, cores: ask.cores },
      score: this.lastScore,
      reason: req.reason,
      canary: req.canary,
      ...(req.replaces !== undefined ? { replaces: req.replaces } : {}),
      ...(req.reschedule ? { reschedule: req.reschedule } : {}),
    });
  }
}

function allocated(
  label: string,
  value: number,
  to: number | undefined,
  hostIp: string,
): AllocatedPort {
  // `to = -1` maps to the same port inside the task.
  const mapped = to === undefined ? undefined : to === -1 ? value : to;
  return { label, value, ...(mapped !== undefined ? { to: mapped } : {}), host_ip: hostIp };
}
