/**
 * Turns the text of a state file into a snapshot, or explains why it cannot: bad JSON, schema
 * violations and broken references (validate-contents.ts) are `corrupt`, a format this drover does not know is `version`.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import validateState from '../generated/state.validate.js';
import type { DriverConfigCheck } from '../jobspec/driver-config.js';
import { StateError } from './errors.js';
import { STATE_FORMAT_VERSION } from './snapshot.js';
import type { StateSnapshot } from './types.js';
import { upgradeSnapshot } from './upgrade.js';
import { contentProblems } from './validate-contents.js';

/** The validator generated from schemas/state.schema.json (`npm run gen:types`): no compile at run time. */
function validator(): ValidateFunction<StateSnapshot> {
  return validateState as unknown as ValidateFunction<StateSnapshot>;
}

/** Schema errors as short lines (`/jobs/web/stopped: must be boolean`), at most `max`. */
export function schemaProblems(
  value: unknown,
  max = 3,
  pathOf: (instancePath: string) => string = (p) => p,
): string[] | undefined {
  const validate = validator();
  if (validate(value)) return undefined;
  const errors: ErrorObject[] = validate.errors ?? [];
  const lines = errors.slice(0, max).map((e) => `${pathOf(e.instancePath) || '/'}: ${describe(e)}`);
  if (errors.length > max) lines.push(`… and ${errors.length - max} more`);
  return lines;
}

/**
 * Schema errors in what `next` changed since `prev`, at the cost of the change rather than of
 * the whole state. Drover derives each snapshot from the previous one without mutating it, so
 * an entry (node, job, allocation, deployment, event) that is the same object as before was
 * already checked; every entry of the state validates on its own, so checking a snapshot that
 * holds only the new or replaced entries finds the same errors in them as checking all.
 */
export function changedSchemaProblems(
  prev: StateSnapshot,
  next: StateSnapshot,
  max = 3,
): string[] | undefined {
  // Where each checked event sits in the whole log, so messages name its real index.
  const eventAt: number[] = [];
  const auditAt: number[] = [];
  const delta = {
    ...next,
    nodes: changedEntries(prev.nodes, next.nodes),
    jobs: changedEntries(prev.jobs, next.jobs),
    allocations: changedEntries(prev.allocations, next.allocations),
    deployments: changedEntries(prev.deployments, next.deployments),
    ...(next.variables !== undefined
      ? { variables: changedEntries(prev.variables ?? {}, next.variables) }
      : {}),
    ...(next.plans !== undefined ? { plans: changedEntries(prev.plans ?? {}, next.plans) } : {}),
    events: Array.isArray(next.events)
      ? next.events.filter((e, i) => e !== prev.events[i] && eventAt.push(i) > 0)
      : next.events,
    ...(next.audit === undefined
      ? {}
      : {
          audit: Array.isArray(next.audit)
            ? next.audit.filter((r, i) => r !== prev.audit?.[i] && auditAt.push(i) > 0)
            : next.audit,
        }),
  };
  return schemaProblems(delta, max, (path) =>
    path
      .replace(/^\/events\/(\d+)/, (_m, i: string) => `/events/${eventAt[Number(i)]}`)
      .replace(/^\/audit\/(\d+)/, (_m, i: string) => `/audit/${auditAt[Number(i)]}`),
  );
}

function changedEntries<T>(prev: Record<string, T>, next: Record<string, T>): Record<string, T> {
  // Not a map at all: hand it over whole so the validator names the problem.
  if (typeof next !== 'object' || next === null || Array.isArray(next)) return next;
  if (next === prev) return {};
  const out: Record<string, T> = {};
  // for…in, not Object.entries: no array of every entry on each write of a large state.
  for (const k in next) if (Object.hasOwn(next, k) && next[k] !== prev[k]) out[k] = next[k]!;
  return out;
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    return `unknown property "${extra ?? '?'}"`;
  }
  return e.message ?? e.keyword;
}

/**
 * Parses and checks a state document; `where` names it in messages (a path); with `drivers`,
 * the task configs of stored jobs are checked too. Throws StateError with code `corrupt` or
 * `version`.
 */
export function parseState(
  text: string,
  where: string,
  drivers?: DriverConfigCheck,
): StateSnapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new StateError('corrupt', `${where} is not valid JSON (${(e as Error).message})`);
  }
  checkFormatVersion(data, where);
  const problems = schemaProblems(data);
  if (problems) {
    throw new StateError(
      'corrupt',
      `${where} does not match the state schema:\n  ${problems.join('\n  ')}`,
    );
  }
  const broken = contentsOrDepth(data as StateSnapshot, drivers);
  if (broken) {
    throw new StateError(
      'corrupt',
      `${where} is not a consistent state (edited by hand?):\n  ${broken.join('\n  ')}`,
    );
  }
  return upgradeSnapshot(data as StateSnapshot);
}

/** contentProblems, or one line when a stored value is nested deeper than a walk of it can go. */
function contentsOrDepth(s: StateSnapshot, drivers?: DriverConfigCheck): string[] | undefined {
  try {
    return contentProblems(s, drivers);
  } catch (err) {
    if (err instanceof RangeError) return [`a stored job is nested too deep to read`];
    throw err;
  }
}

// Checked before the schema so a newer file says "upgrade drover", not "unknown property".
function checkFormatVersion(data: unknown, where: string): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
  const v = (data as { format_version?: unknown }).format_version;
  if (typeof v === 'number' && v !== STATE_FORMAT_VERSION) {
    throw new StateError(
      'version',
      `${where} has format_version ${v}, but this drover reads only format_version ` +
        `${STATE_FORMAT_VERSION}; use the drover that wrote it (or a newer one)`,
    );
  }
}
