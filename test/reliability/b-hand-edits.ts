/**
 * Planfiles and state files edited by hand, against a real apply on raw_exec: each edit is
 * refused with a diagnostic (no stack trace) and leaves the state file and the host exactly as
 * they were. A planfile edit drover accepts must be applied whole (the next plan is empty); a
 * state edit here always puts a wrong type in a field, so accepting one is a lost try.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PartContext, ReliabilityRow } from './types.js';
import { jsonPaths, rng, withValueAt } from './b-mutate.mjs';
import { hasStackTrace, localProject, sleeperJob, type Project } from './b-project.js';

type Json = Parameters<typeof jsonPaths>[0];
type Path = Array<string | number>;

const JOB = 'handedit';

/** A hand edit of a field that keeps its type (what a careless hand does to a planfile). */
function sameTypeEdit(v: unknown): unknown {
  if (typeof v === 'string') return v + 'x';
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (v === null) return 0;
  if (Array.isArray(v)) return v.length > 0 ? v.slice(1) : [1];
  return { ...(v as object), edited_by_hand: true };
}

/** An edit that puts a value of the wrong type in the field (what corrupts a state file). */
function wrongTypeEdit(v: unknown): unknown {
  if (typeof v === 'string') return [[v]];
  if (typeof v === 'number') return `${v} apples`;
  if (typeof v === 'boolean') return 'yes';
  if (Array.isArray(v)) return 'not a list';
  return [[1]];
}

function valueAt(doc: Json, path: Path): unknown {
  let v: unknown = doc;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** The fields to edit: all of them at full scale, a seeded sample otherwise. */
function fieldsOf(doc: Json, ctx: PartContext, sample: number, seed: number): Path[] {
  const all = jsonPaths(doc).filter((p) => p.length > 0);
  if (ctx.scale === 'full') return all;
  const r = rng(seed);
  return Array.from(
    { length: Math.min(sample, all.length) },
    () => all[Math.floor(r() * all.length)]!,
  );
}

interface Outcome {
  ok: boolean;
  why?: string;
  accepted?: boolean;
}

/** Applies with the edited file in place and judges: refused and untouched, or applied whole. */
async function judge(
  p: Project,
  args: string[],
  before: { state: string; host: string },
): Promise<Outcome> {
  const r = await p.cli(args);
  const out = r.stdout + r.stderr;
  if (hasStackTrace(out)) return { ok: false, why: `stack trace: ${out.slice(0, 200)}` };
  if (r.code !== 0) {
    if (p.stateText() !== before.state) return { ok: false, why: 'refused, but the state changed' };
    if (p.hostView() !== before.host) return { ok: false, why: 'refused, but the host changed' };
    if (!/error/i.test(out)) return { ok: false, why: `exit ${r.code} without a diagnostic` };
    return { ok: true };
  }
  const again = await p.cli(['plan', '-detailed-exitcode', join(p.dir, 'job.nomad.hcl')]);
  return again.code === 0
    ? { ok: true, accepted: true }
    : { ok: false, why: `accepted, but the next plan is not empty (exit ${again.code})` };
}

function row(test: string, tries: number, outcomes: Outcome[], note: string): ReliabilityRow {
  const failed = outcomes.filter((o) => !o.ok);
  const accepted = outcomes.filter((o) => o.accepted).length;
  return {
    test,
    tries,
    passed: outcomes.length - failed.length,
    lost:
      failed.length === 0
        ? 'nothing'
        : `${failed.length} not refused cleanly, e.g. ${failed[0]!.why ?? ''}`.slice(0, 300),
    figures: `${accepted} accepted and applied whole; ${note}`,
  };
}

/** The rows, and the real planfile and state text they started from (the fuzz's seeds). */
export async function handEditRows(
  ctx: PartContext,
): Promise<{ rows: ReliabilityRow[]; planfile: string; state: string }> {
  const p = localProject('handedit');
  let version = 1;
  const jobFile = (): string => p.write('job.nomad.hcl', sleeperJob(JOB, String(version++)));
  const rows: ReliabilityRow[] = [];
  const seeds = { planfile: '', state: '' };
  try {
    const first = await p.cli(['apply', '-auto-approve', jobFile()]);
    if (first.code !== 0) throw new Error(`first apply failed: ${first.stdout}${first.stderr}`);

    // Planfiles: a change planned to a file, then each field edited and the file applied.
    const planPath = join(p.dir, 'change.plan');
    const edited = join(p.dir, 'edited.plan');
    const makePlan = async (): Promise<Json> => {
      const r = await p.cli(['plan', '-out', planPath, jobFile()]);
      if (r.code !== 0) throw new Error(`plan -out failed: ${r.stdout}${r.stderr}`);
      return JSON.parse(readFileSync(planPath, 'utf8')) as Json;
    };
    let plan = await makePlan();
    seeds.planfile = readFileSync(planPath, 'utf8');
    seeds.state = p.stateText();
    const planFields = fieldsOf(plan, ctx, 4, 17);
    const planOutcomes: Outcome[] = [];
    for (const path of planFields) {
      const before = { state: p.stateText(), host: p.hostView() };
      // created_at and author are outside the hash by design (metadata): a wrong type there.
      const outside = path[0] === 'created_at' || path[0] === 'author';
      const old = valueAt(plan, path);
      writeFileSync(
        edited,
        JSON.stringify(
          withValueAt(plan, path, outside ? wrongTypeEdit(old) : sameTypeEdit(old)),
          null,
          2,
        ),
      );
      const o = await judge(p, ['apply', edited], before);
      planOutcomes.push(o);
      if (o.accepted) plan = await makePlan();
    }
    // The control: the unedited planfile applies (so a refusal above was the edit's doing).
    const control = await p.cli(['apply', planPath]);
    if (control.code !== 0)
      planOutcomes.push({
        ok: false,
        why: `the unedited planfile failed: ${control.stderr.slice(0, 200)}`,
      });
    rows.push(
      row(
        'hostile input: planfile edited by hand, each field (apply on raw_exec)',
        planFields.length,
        planOutcomes,
        'the unedited planfile then applies',
      ),
    );

    // State files: a field given a wrong type, then an apply of a new version.
    const statePath = join(p.dir, '.drover/state.json');
    let state = JSON.parse(p.stateText()) as Json;
    const stateFields = fieldsOf(state, ctx, 4, 29);
    const stateOutcomes: Outcome[] = [];
    for (const path of stateFields) {
      const original = p.stateText();
      const text = JSON.stringify(
        withValueAt(state, path, wrongTypeEdit(valueAt(state, path))),
        null,
        2,
      );
      writeFileSync(statePath, text);
      const o = await judge(p, ['apply', '-auto-approve', jobFile()], {
        state: text,
        host: p.hostView(),
      });
      // Every edit here breaks the schema or what it stores: accepting one is a lost try.
      stateOutcomes.push(
        o.accepted ? { ok: false, accepted: true, why: `accepted /${path.join('/')}` } : o,
      );
      if (!o.accepted) writeFileSync(statePath, original);
      state = JSON.parse(p.stateText()) as Json;
    }
    rows.push(
      row(
        'hostile input: state file edited by hand, each field (apply on raw_exec)',
        stateFields.length,
        stateOutcomes,
        'wrong-typed values',
      ),
    );
  } finally {
    const problems = await p.close([JOB]);
    if (problems.length > 0 && rows.length > 0)
      rows[rows.length - 1]!.lost += `; cleanup: ${problems.join('; ')}`;
  }
  ctx.log(`hand edits: ${rows.map((r) => `${r.passed}/${r.tries}`).join(', ')}`);
  return { rows, ...seeds };
}
