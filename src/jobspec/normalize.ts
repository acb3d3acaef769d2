/**
 * The normalized job: Nomad's defaults filled in (defaults.ts), then every duration turned into
 * an integer of milliseconds, so nothing downstream re-defaults or re-parses a job. Which
 * properties are durations comes from the schema's `x-duration` annotations, the same schema the
 * `NormalizedJob` type is generated from.
 */
import type { Job } from '../generated/jobspec.js';
import type {
  NormalizedJob,
  NormalizedTask,
  NormalizedUpdate,
} from '../generated/normalized-job.js';
import { cloneValue } from '../hcl/value.js';
import { applyDefaults } from './defaults.js';
import { durationNanos, MILLISECOND } from './duration.js';
import { jobspecSchema, type BlockSchema } from './schema.js';

/** A written (decoded, valid) job with Nomad's defaults filled in and durations in ms. */
export function normalizeJob(written: Job): NormalizedJob {
  return durationsInMsInPlace(applyDefaults(written));
}

/**
 * Finishes a job that `applyDefaults` already filled: a copy with every duration in ms.
 * (load.ts checks the semantic rules on the defaulted job first, where the written duration
 * text is still at hand for messages.)
 */
export function withDurationsInMs(defaulted: Job): NormalizedJob {
  return durationsInMsInPlace(cloneValue(defaulted));
}

function durationsInMsInPlace(job: Job): NormalizedJob {
  convertBlock(job, jobspecSchema().rootBlock, '');
  return asNormalized(job);
}

/**
 * The one place a defaulted job becomes a `NormalizedJob`. Every property the type requires is
 * filled by applyDefaults (the schema's `"x-normalized": "required"` marks say which; a test
 * checks the examples against the generated validator), and the semantic rules guarantee that
 * groups and tasks exist; empty lists stand in where a job that failed them is normalized anyway.
 */
function asNormalized(job: Job): NormalizedJob {
  job.group ??= [];
  for (const g of job.group) g.task ??= [];
  return job as unknown as NormalizedJob;
}

/**
 * Nanoseconds → milliseconds. Timers in drover work in ms; a fraction of a millisecond rounds
 * away from zero so that a non-zero duration never becomes zero (0 means "none" to Nomad).
 */
export function nanosToMs(nanos: number): number {
  const ms = nanos / MILLISECOND;
  return Number.isInteger(ms) ? ms : Math.sign(ms) * Math.ceil(Math.abs(ms));
}

/** A Go duration text or integer nanoseconds → ms; throws on anything else. */
export function durationToMs(value: unknown, where: string): number {
  const nanos =
    typeof value === 'string' || typeof value === 'number' ? durationNanos(value) : undefined;
  if (nanos === undefined) throw new Error(`${where}: invalid duration ${JSON.stringify(value)}`);
  return nanosToMs(nanos);
}

function convertBlock(block: object, body: BlockSchema, ptr: string): void {
  const obj = block as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || value === null) continue;
    const shape = body.property(key);
    if (!shape) continue;
    const at = `${ptr}/${key}`;
    if (shape.form === 'attribute') {
      if (shape.schema['x-duration'] === true) obj[key] = durationToMs(value, at);
    } else if (shape.kind === 'single') {
      convertBlock(value, shape.body, at);
    } else if (shape.kind === 'list' && Array.isArray(value)) {
      value.forEach((item, i) => convertBlock(item as object, shape.body, `${at}/${i}`));
    }
    // map and freeform blocks (meta, env, driver config) hold no job-language durations.
  }
}

let defaults: NormalizedJob | undefined;

/** A minimal service job, normalized: where Nomad's defaults are read outside a job. */
function defaultJob(): NormalizedJob {
  defaults ??= normalizeJob({
    id: 'default',
    type: 'service',
    group: [{ name: 'default', task: [{ name: 'default', driver: 'raw_exec' }] }],
  });
  return defaults;
}

/**
 * Nomad's DefaultUpdateStrategy, normalized: how a deployment paces a group that has no update
 * block (groups of batch and system jobs that set none).
 */
export function defaultUpdateStrategy(): NormalizedUpdate {
  return defaultJob().update!;
}

/** A task's defaults (kill_timeout, …), for a task found on a host that no recorded job names. */
export function defaultTask(): NormalizedTask {
  return defaultJob().group[0]!.task[0]!;
}
