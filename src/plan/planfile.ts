/**
 * Planfiles (`plan -out FILE`, `apply FILE`): the Plan as JSON, verified on the way back in
 * (valid JSON, the plan schema, the hash), and checked against the state it was computed on.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { Plan } from '../generated/plan.js';
import { planHash } from './hash.js';
import { planBasis } from './approvals.js';
import type { StateSnapshot } from '../state/types.js';
import { checkPlanSchema, renderPlanJson } from './render-json.js';

export const PLAN_FORMAT_VERSION = 2;

/**
 * Writes the plan atomically (temp file, fsync, rename) and readable by its owner only: it holds
 * the job sources, which may hold secrets. Throws on I/O errors (the caller reports them).
 */
export function writePlanfile(path: string, plan: Plan): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, renderPlanJson(plan));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export type ReadPlanfileResult = { plan: Plan } | { error: Diagnostic };

/** Reads and verifies a planfile; every problem is a diagnostic, never a throw. */
export function readPlanfile(path: string): ReadPlanfileResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail('Cannot read planfile', `${path}: ${(err as Error).message}`);
  }
  return parsePlanfile(text, path);
}

/** The checks of readPlanfile on text already read; `path` names it in messages. */
export function parsePlanfile(text: string, path: string): ReadPlanfileResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(
      'Invalid planfile',
      `${path} is not a drover planfile: it is not valid JSON (${(err as Error).message}).`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('Invalid planfile', `${path} is not a drover planfile: it is not a JSON object.`);
  }
  const version = (value as { format_version?: unknown }).format_version;
  if (version !== PLAN_FORMAT_VERSION) {
    return fail(
      'Unsupported planfile format',
      `${path} has format_version ${JSON.stringify(version ?? null)}; this drover reads ` +
        `format_version ${PLAN_FORMAT_VERSION}. Run drover plan -out again with this drover.`,
    );
  }
  const checked = checkPlanSchema(value);
  if ('problems' in checked) {
    const shown = checked.problems.slice(0, 10);
    const more = checked.problems.length - shown.length;
    return fail(
      'Invalid planfile',
      [
        `${path} does not match the plan schema:`,
        ...shown.map((p) => `  ${p}`),
        ...(more > 0 ? [`  … and ${more} more`] : []),
      ].join('\n'),
    );
  }
  const plan = checked.plan;
  let actual: string;
  try {
    actual = planHash(plan);
  } catch (err) {
    // A number JSON reads as Infinity (1e999) passes the schema but cannot be hashed.
    return fail(
      'Invalid planfile',
      `${path} is not a drover planfile: ${(err as Error).message.replace(/^canonicalJson: /, '')}.`,
    );
  }
  if (actual !== plan.hash) {
    return fail(
      'Planfile has been modified',
      `${path} records the hash ${plan.hash}, but its content hashes to ${actual}. ` +
        'A planfile is applied exactly as it was written; run drover plan -out again.',
    );
  }
  return { plan };
}

export type Freshness = { ok: true } | { ok: false; message: string };

/**
 * Whether the state is still the one the plan was computed against. A plan made before the state
 * was ever written (serial 0) still fits a state that has not been written since: a missing state
 * reads with a fresh lineage each time, so only the serial can tell.
 */
export function checkPlanFresh(
  plan: Plan,
  current: Pick<StateSnapshot, 'lineage' | 'serial' | 'approvals' | 'plans'>,
): Freshness {
  // Writes that only recorded approvals or saved plans (this one or others) do not make it stale.
  const state = planBasis(current);
  const never = plan.state.serial === 0 && state.serial === 0;
  if (plan.state.lineage !== state.lineage && !never) {
    return {
      ok: false,
      message:
        `plan is stale: it was made for state lineage ${plan.state.lineage}, ` +
        `but the state is lineage ${state.lineage}`,
    };
  }
  if (plan.state.serial !== state.serial) {
    return {
      ok: false,
      message: `plan is stale: state serial ${state.serial} ≠ plan serial ${plan.state.serial}`,
    };
  }
  return { ok: true };
}

function fail(summary: string, detail: string): { error: Diagnostic } {
  return { error: { severity: 'error', summary, detail } };
}
