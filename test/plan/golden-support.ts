/**
 * Golden cases: each folder of test/golden/ is a fleet (mock hosts, a fixed state lineage and
 * clock), a history that builds its state through the real engine (`prior.hcl` applied, or the
 * steps of `case.json`), and an operation (by default: apply `job.hcl`). The operation is
 * planned by the operations layer's own builders and executed on the mock `World`, so what the
 * goldens show is what `drover plan` and `drover apply` compute, not a hand-written plan.
 *
 * case.json (every field optional):
 *   {
 *     "nodes": [{ "name": "n1", "attributes": {…}, "resources": { "memory": 4096 } }],
 *     "setup": [ { "apply": ["prior.hcl"], "killAtWrite": 9 }, { "kill": "web.web[1]" },
 *                { "op": { "kind": "promote", "job": "web" } } ],
 *     "op": { "kind": "apply", "files": ["job.hcl"] }
 *   }
 * ops: apply (files), stop (job, purge), scale (job, group, count), rollback (job, version),
 * promote (job, group), fail (job), drain (node, enable = true), eligibility (node, eligible).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { Plan } from '../../src/generated/plan.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import type { DesiredJob } from '../../src/plan/compute.js';
import {
  makePlan,
  planDrain,
  planEligibility,
  planFail,
  planPromote,
  planRollback,
  planScale,
  planStop,
  type EngineContext,
  type Observed,
} from '../../src/ops/index.js';
import { asMockHandle } from '../../providers/drivers/mock.js';
import { noIoTransport, World, type MockNode } from '../deploy/deployment-support.js';

export const GOLDEN = join(import.meta.dirname, '..', 'golden');
/** Every golden state has this lineage, so the ids derived from it never change. */
export const GOLDEN_LINEAGE = '6f1c2a4e-8d3b-4c7a-9e5f-0b1d2c3e4f50';

export type Operation =
  | { kind: 'apply'; files?: string[] }
  | { kind: 'stop'; job: string; purge?: boolean }
  | { kind: 'scale'; job: string; group: string; count: number }
  | { kind: 'rollback'; job: string; version?: number }
  | { kind: 'promote'; job: string; group?: string }
  | { kind: 'fail'; job: string }
  | { kind: 'drain'; node: string; enable?: boolean }
  | { kind: 'eligibility'; node: string; eligible: boolean };

export type SetupStep =
  /** `drover apply FILES` (killed at its N-th state write, if given). */
  | { apply: string[]; killAtWrite?: number }
  /** The tasks of the allocation named so are stopped on the host, outside drover. */
  | { kill: string }
  /** Any operation, planned and executed. */
  | { op: Operation };

export interface CaseSpec {
  nodes?: MockNode[];
  setup?: SetupStep[];
  op?: Operation;
}

export interface GoldenRun {
  plan: Plan;
  /** The progress events of executing the plan (none when it changes nothing). */
  events: ProgressEvent[];
  /** Whether the plan was executed (it changes something). */
  executed: boolean;
}

/** Every case folder's name, sorted. */
export function caseNames(): string[] {
  return readdirSync(GOLDEN, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function readCase(name: string): CaseSpec {
  const dir = join(GOLDEN, name);
  const file = join(dir, 'case.json');
  const spec = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CaseSpec) : {};
  return {
    ...spec,
    setup: spec.setup ?? (existsSync(join(dir, 'prior.hcl')) ? [{ apply: ['prior.hcl'] }] : []),
    op: spec.op ?? { kind: 'apply' },
  };
}

/**
 * Builds the case's state through the real engine, then plans its operation and executes the
 * plan when it changes something (as `drover apply` does). The world is disposed of after.
 */
export async function runCase(name: string): Promise<GoldenRun> {
  const dir = join(GOLDEN, name);
  const spec = readCase(name);
  const world = await World.create({
    lineage: GOLDEN_LINEAGE,
    ...(spec.nodes ? { nodes: spec.nodes } : {}),
  });
  try {
    for (const step of spec.setup ?? []) await setup(world, dir, step);
    const from = world.events.length;
    const run = await world.operate(builder(dir, spec.op!), { skipEmpty: true });
    if (!run.plan) throw new Error(`${name}: the operation did not plan`);
    const events = world.events.slice(from).map((e) => e.ev);
    return { plan: run.plan, events, executed: run.executed ?? true };
  } finally {
    world.dispose();
  }
}

async function setup(world: World, dir: string, step: SetupStep): Promise<void> {
  if ('kill' in step) return killOnHost(world, step.kill);
  const opts = 'killAtWrite' in step && step.killAtWrite ? { killAtWrite: step.killAtWrite } : {};
  const op: Operation = 'op' in step ? step.op : { kind: 'apply', files: step.apply };
  const run = await world.operate(builder(dir, op), opts);
  if (!opts.killAtWrite && run.killed) throw run.killed;
}

/** Stops an allocation's tasks on its host behind drover's back (a `docker kill`). */
async function killOnHost(world: World, allocName: string): Promise<void> {
  const s = await world.read();
  const alloc = Object.values(s.allocations).find(
    (a) => a.name === allocName && a.desired_status === 'run',
  );
  if (!alloc) throw new Error(`setup: no running allocation ${allocName} to kill`);
  for (const h of Object.values(alloc.driver_handles))
    await world.host.stop(asMockHandle(h), noIoTransport(world.nodes.get(alloc.node)!), {
      killTimeoutMs: 0,
    });
}

/** The operations layer's builder for an operation of a case. */
function builder(dir: string, op: Operation): (ctx: EngineContext, observed: Observed) => Plan {
  switch (op.kind) {
    case 'apply': {
      const loaded = (op.files ?? ['job.hcl']).map((f) => loadCaseJob(dir, f));
      return (ctx, observed) =>
        makePlan(
          ctx,
          observed,
          loaded.map((l) => l.desired),
          { warnings: loaded.flatMap((l) => l.warnings) },
        );
    }
    case 'stop':
      return (ctx, o) => planStop(ctx, o, op.job, op.purge ?? false);
    case 'scale':
      return (ctx, o) => planScale(ctx, o, op.job, op.group, op.count);
    case 'rollback':
      return (ctx, o) => planRollback(ctx, o, op.job, op.version);
    case 'promote':
      return (ctx, o) => planPromote(ctx, o, op.job, op.group);
    case 'fail':
      return (ctx, o) => planFail(ctx, o, op.job);
    case 'drain':
      return (ctx, o) => planDrain(ctx, o, op.node, op.enable ?? true);
    case 'eligibility':
      return (ctx, o) => planEligibility(ctx, o, op.node, op.eligible);
  }
}

/** A case's job file as `drover plan FILE` loads it (named as in the case folder). */
function loadCaseJob(
  dir: string,
  file: string,
): { desired: DesiredJob; warnings: Diagnostics['items'] } {
  const source = readFileSync(join(dir, file), 'utf8');
  const diags = new Diagnostics();
  const loaded = loadJobSource(
    source,
    file,
    { inputs: { vars: [], varFiles: [], env: {} } },
    diags,
  );
  if (!loaded)
    throw new Error(
      `${dir}/${file} does not load:\n${diags.items.map((d) => `${d.summary}: ${d.detail ?? ''}`).join('\n')}`,
    );
  return {
    desired: {
      kind: 'run',
      id: loaded.job.id,
      job: loaded.job,
      submitted: loaded.submitted,
      source,
      filename: file,
    },
    warnings: diags.items,
  };
}
