/**
 * A plan's hash: SHA-256 of its canonical JSON, so the same plan hashes the same whatever order
 * its keys were written or read in (a planfile pretty-printed by hand still verifies).
 */
import { createHash } from 'node:crypto';
import type { Plan } from '../generated/plan.js';

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace. Drops undefined
 * properties as JSON.stringify does; throws on what JSON cannot hold (non-finite numbers,
 * functions), which a plan never contains.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} is not JSON`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`canonicalJson: a ${typeof value} is not JSON`);
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * `sha256:<hex>` of every property of the plan but `hash` itself, when it was made and who saved
 * it: the same change planned again against the same state hashes the same (and keeps the
 * approvals of that hash).
 */
export function planHash(plan: Omit<Plan, 'hash'> | Plan): string {
  const { hash: _ignored, created_at: _when, author: _who, ...rest } = plan as Plan;
  return `sha256:${sha256Hex(canonicalJson(rest))}`;
}

/** The plan with its hash filled in (keys in the schema's order, so planfiles read well). */
export function sealPlan(plan: Omit<Plan, 'hash'>): Plan {
  return {
    format_version: plan.format_version,
    drover_version: plan.drover_version,
    created_at: plan.created_at,
    ...(plan.author ? { author: plan.author } : {}),
    state: plan.state,
    hash: planHash(plan),
    changes: plan.changes,
    retry_stops: plan.retry_stops,
    ...(plan.images?.length ? { images: plan.images } : {}),
    ...(plan.hooks?.length ? { hooks: plan.hooks } : {}),
    ...(plan.order?.length ? { order: plan.order } : {}),
    jobs: plan.jobs,
    warnings: plan.warnings,
  };
}
