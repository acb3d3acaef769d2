/**
 * Brings a snapshot read from a backend up to the current form of what it stores, so that an
 * old state read and written again is stored in the new form. Entries already current are kept
 * as the same objects (changedSchemaProblems relies on that).
 */
import { NORMALIZED_JOB_FORMAT, upgradeStoredJob } from '../jobspec/stored.js';
import type { StateSnapshot } from './types.js';

/** Job versions written before jobs were stored normalized (no `job_format`) are normalized. */
export function upgradeSnapshot(state: StateSnapshot): StateSnapshot {
  const old = Object.entries(state.jobs).filter(([, j]) =>
    j.versions.some((v) => v.job_format !== NORMALIZED_JOB_FORMAT),
  );
  if (old.length === 0) return state;
  const jobs = { ...state.jobs };
  for (const [id, j] of old) jobs[id] = { ...j, versions: j.versions.map(upgradeStoredJob) };
  return { ...state, jobs };
}
