/**
 * What the state schema leaves to others, checked when a state document is read from a file (a
 * hand edit, a snapshot restored): the jobs stored in each version against their own schemas,
 * versions in order, and allocations that run a job the state does not know. drover's own
 * writes keep these by construction; a file edited by hand may not, and a state that breaks one
 * is refused whole rather than half-applied.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import validateJobspec from '../generated/jobspec.validate.js';
import validateNormalizedJob from '../generated/normalized-job.validate.js';
import { cloneValue } from '../hcl/value.js';
import type { DriverConfigCheck } from '../jobspec/driver-config.js';
import { NORMALIZED_JOB_FORMAT } from '../jobspec/stored.js';
import type { StateSnapshot } from './types.js';

const normalizedJob = validateNormalizedJob as unknown as ValidateFunction;
// The jobspec validator coerces scalars (it reads HCL): it is given a copy.
const jobspec = validateJobspec as unknown as ValidateFunction;

/** A JSON pointer (RFC 6901) from keys: `/jobs/prod~1web/versions/0`. */
export function jsonPointer(...keys: Array<string | number>): string {
  return keys.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

function schemaLines(
  validate: ValidateFunction,
  value: unknown,
  at: string,
  what: string,
  copy = false,
): string[] {
  try {
    if (validate(copy ? cloneValue(value) : value)) return [];
  } catch (err) {
    // A value nested deeper than the stack (JSON.parse reads it; a walk of it overflows).
    if (err instanceof RangeError) return [`${at}: nested too deep (${what})`];
    throw err;
  }
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${at}${e.instancePath}: ${e.message ?? e.keyword} (${what})`,
  );
}

/** The driver config problems of every task of a stored job (`job` or `submitted`). */
function taskConfigLines(job: unknown, at: string, drivers: DriverConfigCheck): string[] {
  const groups = (job as { group?: unknown }).group;
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((g: { task?: unknown }, gi) =>
    (Array.isArray(g?.task) ? g.task : []).flatMap(
      (t: { driver?: unknown; config?: unknown }, ti) => {
        if (typeof t?.driver !== 'string' || typeof t.config !== 'object' || t.config === null)
          return [];
        const problems = drivers.checkDriverConfig(t.driver, t.config as Record<string, unknown>);
        return (problems ?? [])
          .filter((p) => p.severity !== 'warning')
          .map((p) => `${at}/group/${gi}/task/${ti}/config${p.pointer}: ${p.summary}`);
      },
    ),
  );
}

function jobVersionProblems(
  id: string,
  versions: StateSnapshot['jobs'][string]['versions'],
  drivers: DriverConfigCheck | undefined,
) {
  const out: string[] = [];
  versions.forEach((v, i) => {
    const at = jsonPointer('jobs', id, 'versions', i);
    const prev = versions[i - 1];
    if (prev && v.version <= prev.version)
      out.push(
        `${at}/version: ${v.version} after version ${prev.version} (versions are kept oldest first, each higher than the last)`,
      );
    out.push(
      ...(v.job_format === NORMALIZED_JOB_FORMAT
        ? schemaLines(normalizedJob, v.job, `${at}/job`, 'not a normalized job')
        : schemaLines(jobspec, v.job, `${at}/job`, 'not a job', true)),
      ...schemaLines(jobspec, v.submitted, `${at}/submitted`, 'not a job', true),
      ...(drivers
        ? [
            ...taskConfigLines(v.job, `${at}/job`, drivers),
            ...taskConfigLines(v.submitted, `${at}/submitted`, drivers),
          ]
        : []),
    );
  });
  return out;
}

/**
 * The problems of a schema-valid state, as `JSON pointer: what` lines, at most `max` (and a
 * count of the rest); undefined when there is none. With `drivers`, stored task configs too.
 */
export function contentProblems(
  s: StateSnapshot,
  drivers?: DriverConfigCheck,
  max = 3,
): string[] | undefined {
  const out: string[] = [];
  for (const [id, job] of Object.entries(s.jobs))
    out.push(...jobVersionProblems(id, job.versions, drivers));
  for (const [id, a] of Object.entries(s.allocations)) {
    // A purged job's allocation stays, desired stopped, until its host confirms the stop.
    if (a.desired_status === 'run' && !Object.hasOwn(s.jobs, a.job))
      out.push(
        `${jsonPointer('allocations', id, 'job')}: ${JSON.stringify(a.job)} is not a job of this state, but the allocation is to run`,
      );
    const job = s.jobs[a.job];
    if (a.desired_status === 'run' && job && !job.versions.some((v) => v.version === a.version))
      out.push(
        `${jsonPointer('allocations', id, 'version')}: job ${JSON.stringify(a.job)} has no version ${a.version}`,
      );
  }
  if (out.length === 0) return undefined;
  return out.length > max ? [...out.slice(0, max), `… and ${out.length - max} more`] : out;
}
