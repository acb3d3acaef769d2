/**
 * Sensitive values in what plans and history show: a job diff's old and new texts that are (or
 * contain) a sensitive value read `(sensitive)`, as Terraform shows them. A change still reads
 * as a change (`Env[PASSWORD]: (sensitive) => (sensitive)`).
 */
import { redactAtPointers, Redactor, sensitiveTexts } from '../jobspec/sensitive.js';
import type { Plan } from '../generated/plan.js';
import type { StateSnapshot } from '../state/types.js';
import type { FieldDiff, JobDiff, ObjectDiff } from './diff.js';

/** A job (normalized) with the pointers of its sensitive values. */
export interface MarkedJob {
  job: unknown;
  sensitive?: readonly string[] | undefined;
}

/**
 * A redactor for everything sensitive in the given jobs (missing ones are skipped). For versions
 * of one job (`sameJob`), a place sensitive in any version is sensitive in all: a version
 * recorded before its variable was marked (or by an older drover) hides its value too.
 */
export function redactorFor(jobs: ReadonlyArray<MarkedJob | undefined>, sameJob = false): Redactor {
  const present = jobs.filter((j): j is MarkedJob => j !== undefined);
  const shared = sameJob ? [...new Set(present.flatMap((j) => j.sensitive ?? []))] : undefined;
  return new Redactor(present.flatMap((j) => sensitiveTexts(j.job, shared ?? j.sensitive)));
}

/** The diff with its sensitive texts hidden (the same diff when there are none). */
export function redactJobDiff(diff: JobDiff, r: Redactor): JobDiff {
  if (r.empty) return diff;
  const fields = (fs: FieldDiff[]): FieldDiff[] =>
    fs.map((f) => ({ ...f, old: r.value(f.old), new: r.value(f.new) }));
  const objects = (os: ObjectDiff[]): ObjectDiff[] =>
    os.map((o) => ({ ...o, fields: fields(o.fields), objects: objects(o.objects) }));
  return {
    ...diff,
    fields: fields(diff.fields),
    objects: objects(diff.objects),
    groups: diff.groups.map((g) => ({
      ...g,
      fields: fields(g.fields),
      objects: objects(g.objects),
      tasks: g.tasks.map((t) => ({ ...t, fields: fields(t.fields), objects: objects(t.objects) })),
    })),
  };
}

/**
 * The state as drover shows it (`state show`, `status`): each recorded version's job with its
 * sensitive values replaced, and every other text (the submitted job, the source, events,
 * task messages, saved plans) with occurrences of them and of saved plans' values replaced. The state itself keeps the real values.
 */
export function redactState(snap: StateSnapshot): StateSnapshot {
  const texts: string[] = [];
  const jobs: StateSnapshot['jobs'] = {};
  for (const [id, j] of Object.entries(snap.jobs)) {
    // A place sensitive in one version of a job is sensitive in all (see redactorFor).
    const shared = [...new Set(j.versions.flatMap((v) => v.sensitive ?? []))];
    if (shared.length === 0) {
      jobs[id] = j;
      continue;
    }
    for (const v of j.versions) texts.push(...sensitiveTexts(v.job, shared));
    jobs[id] = {
      ...j,
      versions: j.versions.map((v) => ({ ...v, job: redactAtPointers(v.job, shared) })),
    };
  }
  // Plans saved for review hold their jobs too, with values no version may have yet.
  for (const saved of Object.values(snap.plans ?? {}))
    for (const j of (saved.plan as unknown as Plan).jobs ?? [])
      if (j.payload?.sensitive?.length)
        texts.push(...sensitiveTexts(j.payload.job, j.payload.sensitive));
  const r = new Redactor(texts);
  return r.empty ? snap : r.deep({ ...snap, jobs });
}

/**
 * A plan as `plan -json` and `apply -json` print it: each payload's job with its sensitive
 * values replaced and every other text with occurrences of them replaced (the diff already
 * reads `(sensitive)`). The planfile keeps the real plan: apply needs its values, and its hash
 * (printed here too) is the real plan's.
 */
export function redactPlan(plan: Plan): Plan {
  const payloads = plan.jobs.flatMap((j) => (j.payload ? [j.payload] : []));
  const r = redactorFor(payloads);
  if (r.empty) return plan;
  return r.deep({
    ...plan,
    jobs: plan.jobs.map((j) =>
      j.payload
        ? {
            ...j,
            payload: { ...j.payload, job: redactAtPointers(j.payload.job, j.payload.sensitive) },
          }
        : j,
    ),
  });
}
