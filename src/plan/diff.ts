/**
 * The job diff of a plan, shaped like Nomad's JobDiff (nomad/structs/diff.go): a job has fields,
 * objects and task groups; a group has fields, objects and tasks; objects nest. Values are shown
 * as text. Groups and tasks are matched by name, labelled blocks by label, services and checks by
 * a score (name, port, position), rules such as constraints by content (an edit reads as one
 * deleted and one added block, as in Nomad), other blocks by position.
 *
 * What each change forces (in-place or create/destroy update) is not decided here: the diff is
 * annotated afterwards by a caller-supplied rule (`annotateJobDiff`), because the task driver is
 * what knows (Driver.classifyChange). `nomadRules` is the default, after Nomad's annotate.go.
 *
 * The walk follows the jobspec schema, so a new block in the language diffs without code here.
 */
import type {
  Annotation,
  DiffType,
  FieldDiff,
  GroupDiff,
  JobDiff,
  ObjectDiff,
  TaskDiff,
} from '../generated/plan.js';
import { formatMs } from '../jobspec/duration.js';
import { jobspecSchema, type BlockSchema } from '../jobspec/schema.js';
import type { ChangeClass } from '../jobspec/task-change.js';
import type { NormalizedJob as Job } from '../generated/normalized-job.js';

export type { Annotation, DiffType, FieldDiff, GroupDiff, JobDiff, ObjectDiff, TaskDiff };

export const FORCES_DESTRUCTIVE: Annotation = 'forces create/destroy update';
export const FORCES_IN_PLACE: Annotation = 'forces in-place update';
export const FORCES_CREATE: Annotation = 'forces create';
export const FORCES_DESTROY: Annotation = 'forces destroy';

type Obj = Record<string, unknown>;
type Scalar = string | number | boolean;

// ---------------------------------------------------------------------------------------------
// Matching rules

/**
 * Job-level blocks that defaults copy into every group or task (update, migrate, reschedule,
 * vault) are diffed where they take effect, as Nomad does; `task` is moved into groups.
 */
const SKIP_JOB = new Set(['id', 'group', 'task', 'update', 'migrate', 'reschedule', 'vault']);
const SKIP_GROUP = new Set(['name', 'task', 'vault']);
const SKIP_TASK = new Set(['name']);

/** Lists of strings whose order means nothing (Nomad's stringSetDiff). */
const STRING_SETS = new Set([
  'datacenters',
  'tags',
  'canary_tags',
  'policies',
  'aud',
  'extra_claims',
  'mount_flags',
]);

/** Blocks that are rules rather than things: identified by their whole content. */
const MATCH_BY_CONTENT = new Set([
  'constraint',
  'affinity',
  'spread',
  'artifact',
  'template',
  'volume_mount',
]);

/** Blocks without a label matched by a score of equal keys (Nomad's findServiceMatch). */
const MATCH_BY_SCORE: Record<string, ReadonlyArray<readonly [string, number]>> = {
  service: [
    ['name', 3],
    ['port', 2],
  ],
  check: [
    ['name', 3],
    ['type', 2],
  ],
};

// ---------------------------------------------------------------------------------------------
// The diff

export interface DiffOptions extends AnnotateOptions {
  /** Leave the annotations empty (annotate later with annotateJobDiff). */
  raw?: boolean;
}

/**
 * Diffs two defaulted jobs with the same id: `prior` undefined for a new job, `next` undefined
 * for a job being stopped. Annotated with `opts.decide` (default `nomadRules`) unless `raw`.
 */
export function diffJobs(
  prior: Job | undefined,
  next: Job | undefined,
  opts: DiffOptions = {},
): JobDiff {
  const diff = rawJobDiff(prior, next);
  return opts.raw ? diff : annotateJobDiff(diff, opts);
}

function rawJobDiff(prior: Job | undefined, next: Job | undefined): JobDiff {
  const id = next?.id ?? prior?.id ?? '';
  const root = jobspecSchema().rootBlock;
  const a = prior as Obj | undefined;
  const b = next as Obj | undefined;
  const { fields, objects } = diffBody(a, b, root, [], SKIP_JOB);
  const groupShape = root.property('group');
  const groupBody = groupShape?.form === 'block' ? groupShape.body : undefined;
  const groups = pairByName(prior?.group, next?.group).map(([pg, ng]) =>
    groupDiff(pg as Obj | undefined, ng as Obj | undefined, groupBody),
  );
  const type = containerType(a, b, fields, objects, groups);
  return { type, id, ...keepContext(type, fields), objects, groups };
}

function groupDiff(a: Obj | undefined, b: Obj | undefined, body?: BlockSchema): GroupDiff {
  const name = scalarText((b ?? a)?.name);
  const { fields, objects } = diffBody(a, b, body, [], SKIP_GROUP);
  const taskShape = body?.property('task');
  const taskBody = taskShape?.form === 'block' ? taskShape.body : undefined;
  const tasks = pairByName(a?.task as Obj[] | undefined, b?.task as Obj[] | undefined).map(
    ([pt, nt]) => taskDiff(pt, nt, taskBody),
  );
  const type = containerType(a, b, fields, objects, tasks);
  return { type, name, ...keepContext(type, fields), objects, tasks };
}

function taskDiff(a: Obj | undefined, b: Obj | undefined, body?: BlockSchema): TaskDiff {
  const name = scalarText((b ?? a)?.name);
  const { fields, objects } = diffBody(a, b, body, [], SKIP_TASK);
  const type = containerType(a, b, fields, objects, []);
  return { type, name, annotations: [], ...keepContext(type, fields), objects };
}

/** An unchanged job, group or task lists no fields (its header is enough). */
function keepContext(type: DiffType, fields: FieldDiff[]): { fields: FieldDiff[] } {
  return { fields: type === 'None' ? [] : fields };
}

function containerType(
  a: unknown,
  b: unknown,
  fields: readonly FieldDiff[],
  objects: readonly ObjectDiff[],
  children: ReadonlyArray<{ type: DiffType }>,
): DiffType {
  if (a === undefined && b !== undefined) return 'Added';
  if (a !== undefined && b === undefined) return 'Deleted';
  const changed = [...fields, ...objects, ...children].some((d) => d.type !== 'None');
  return changed ? 'Edited' : 'None';
}

function pairByName<T extends { name?: unknown }>(
  prior: readonly T[] | undefined,
  next: readonly T[] | undefined,
): Array<[T | undefined, T | undefined]> {
  const byName = new Map<string, [T | undefined, T | undefined]>();
  for (const p of prior ?? []) byName.set(scalarText(p.name), [p, undefined]);
  for (const n of next ?? []) {
    const pair = byName.get(scalarText(n.name));
    if (pair) pair[1] = n;
    else byName.set(scalarText(n.name), [undefined, n]);
  }
  return [...byName.entries()].sort(([x], [y]) => naturalCompare(x, y)).map(([, pair]) => pair);
}

interface Body {
  fields: FieldDiff[];
  objects: ObjectDiff[];
}

/**
 * Diffs the properties of two block bodies (either may be missing). Unchanged fields are kept
 * as context (type None); the caller drops them where they are not wanted.
 */
function diffBody(
  a: Obj | undefined,
  b: Obj | undefined,
  body: BlockSchema | undefined,
  path: readonly string[],
  skip: ReadonlySet<string>,
): Body {
  const flatA = new Map<string, Flat>();
  const flatB = new Map<string, Flat>();
  const objects: ObjectDiff[] = [];
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  for (const key of keys) {
    if (skip.has(key)) continue;
    const va = present(a?.[key]);
    const vb = present(b?.[key]);
    if (va === undefined && vb === undefined) continue;
    const shape = body?.property(key);
    const at = [...path, key];
    const name = pascal(key);
    const sample = va ?? vb;
    if (shape?.form === 'block' && shape.kind === 'list') {
      objects.push(...diffBlockList(key, asObjs(va), asObjs(vb), shape.body, shape.label, at));
    } else if (shape?.form === 'block' && shape.kind === 'single') {
      const d = diffObject(name, asObj(va), asObj(vb), shape.body, at);
      if (d) objects.push(d);
    } else if (shape?.form === 'block' && shape.kind === 'freeform') {
      const d = diffFreeform(name, asObj(va), asObj(vb), at);
      if (d) objects.push(d);
    } else if (shape?.form === 'attribute' && shape.schema['x-duration'] === true) {
      // A normalized job holds durations in ms; they read as Go duration text ("5s").
      flattenInto(flatA, durationText(va), name, at);
      flattenInto(flatB, durationText(vb), name, at);
    } else if (Array.isArray(sample) && sample.every(isScalar) && STRING_SETS.has(key)) {
      const d = diffStringSet(name, asScalars(va), asScalars(vb), at);
      if (d) objects.push(d);
    } else {
      // Scalars, ordered lists (`Args[0]`) and maps such as meta and env, whose keys become
      // fields of the enclosing block as Nomad's `Meta[owner]` and `Env[FOO]`.
      flattenInto(flatA, va, name, at);
      flattenInto(flatB, vb, name, at);
    }
  }
  return { fields: fieldDiffs(flatA, flatB), objects: sortObjects(objects) };
}

function diffObject(
  name: string,
  a: Obj | undefined,
  b: Obj | undefined,
  body: BlockSchema | undefined,
  path: readonly string[],
): ObjectDiff | undefined {
  if (a === undefined && b === undefined) return undefined;
  const { fields, objects } = diffBody(a, b, body, path, NO_SKIP);
  const type = containerType(a, b, fields, objects, []);
  if (type === 'None') return undefined;
  return { type, name, path: [...path], annotations: [], fields, objects };
}

const NO_SKIP: ReadonlySet<string> = new Set();

/** Driver config and other free-form blocks: one object whose fields are flattened keys. */
function diffFreeform(
  name: string,
  a: Obj | undefined,
  b: Obj | undefined,
  path: readonly string[],
): ObjectDiff | undefined {
  if (a === undefined && b === undefined) return undefined;
  const flatA = new Map<string, Flat>();
  const flatB = new Map<string, Flat>();
  for (const [k, v] of Object.entries(a ?? {})) flattenInto(flatA, v, pascal(k), [...path, k]);
  for (const [k, v] of Object.entries(b ?? {})) flattenInto(flatB, v, pascal(k), [...path, k]);
  const fields = fieldDiffs(flatA, flatB);
  const type = containerType(a, b, fields, [], []);
  if (type === 'None') return undefined;
  return { type, name, path: [...path], annotations: [], fields, objects: [] };
}

function diffStringSet(
  name: string,
  a: readonly Scalar[] | undefined,
  b: readonly Scalar[] | undefined,
  path: readonly string[],
): ObjectDiff | undefined {
  const before = new Set((a ?? []).map(String));
  const after = new Set((b ?? []).map(String));
  const fields: FieldDiff[] = [];
  for (const v of before)
    fields.push(field(after.has(v) ? 'None' : 'Deleted', name, path, v, after.has(v) ? v : null));
  for (const v of after) if (!before.has(v)) fields.push(field('Added', name, path, null, v));
  if (!fields.some((f) => f.type !== 'None')) return undefined;
  // A set that exists on both sides is edited, even when strings were only added (Nomad would
  // call it added), so its unchanged members read as context and each change is annotated.
  const type: DiffType = before.size === 0 ? 'Added' : after.size === 0 ? 'Deleted' : 'Edited';
  return { type, name, path: [...path], annotations: [], fields: sortFields(fields), objects: [] };
}

/** Repeating blocks: pairs them up, then diffs each pair as an object. */
function diffBlockList(
  key: string,
  a: readonly Obj[],
  b: readonly Obj[],
  body: BlockSchema,
  label: string | undefined,
  path: readonly string[],
): ObjectDiff[] {
  const base = pascal(key);
  const pairs = label
    ? pairByKey(a, b, (o) => scalarText(o[label]))
    : MATCH_BY_CONTENT.has(key)
      ? pairByContent(a, b)
      : MATCH_BY_SCORE[key]
        ? pairByScore(a, b, MATCH_BY_SCORE[key])
        : pairByIndex(a, b);
  const out: ObjectDiff[] = [];
  for (const [pa, pb] of pairs) {
    const name = label ? `${base} ${JSON.stringify(scalarText((pb ?? pa)?.[label]))}` : base;
    const d = diffObject(name, pa, pb, body, path);
    if (d) out.push(d);
  }
  return out;
}

type Pair = [Obj | undefined, Obj | undefined];

function pairByKey(a: readonly Obj[], b: readonly Obj[], keyOf: (o: Obj) => string): Pair[] {
  const byKey = new Map<string, Pair>();
  for (const o of a) byKey.set(keyOf(o), [o, undefined]);
  for (const o of b) {
    const pair = byKey.get(keyOf(o));
    if (pair) pair[1] = o;
    else byKey.set(keyOf(o), [undefined, o]);
  }
  return [...byKey.values()];
}

function pairByContent(a: readonly Obj[], b: readonly Obj[]): Pair[] {
  const pairs: Pair[] = [];
  const unmatched = b.map((o) => ({ o, text: JSON.stringify(sortKeys(o)) }));
  for (const o of a) {
    const text = JSON.stringify(sortKeys(o));
    const i = unmatched.findIndex((u) => u.text === text);
    if (i >= 0) {
      pairs.push([o, unmatched[i]!.o]);
      unmatched.splice(i, 1);
    } else pairs.push([o, undefined]);
  }
  for (const u of unmatched) pairs.push([undefined, u.o]);
  return pairs;
}

function pairByScore(
  a: readonly Obj[],
  b: readonly Obj[],
  weights: ReadonlyArray<readonly [string, number]>,
): Pair[] {
  // A pair needs more than the position alone (Nomad's minScoreThreshold of 2).
  const threshold = 2;
  const taken = new Set<number>();
  const pairs: Pair[] = [];
  a.forEach((o, i) => {
    let best = -1;
    let bestScore = threshold;
    b.forEach((n, j) => {
      if (taken.has(j)) return;
      let score = i === j ? 1 : 0;
      for (const [k, w] of weights) if (o[k] === n[k]) score += w;
      if (score > bestScore) {
        best = j;
        bestScore = score;
      }
    });
    if (best >= 0) taken.add(best);
    pairs.push([o, best >= 0 ? b[best] : undefined]);
  });
  b.forEach((n, j) => {
    if (!taken.has(j)) pairs.push([undefined, n]);
  });
  return pairs;
}

function pairByIndex(a: readonly Obj[], b: readonly Obj[]): Pair[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i): Pair => [a[i], b[i]]);
}

// ---------------------------------------------------------------------------------------------
// Fields

interface Flat {
  name: string;
  path: string[];
  text: string;
}

/** Flattens a value into named scalar fields: `Count`, `Args[0]`, `Env[FOO]`, `Mount[0][type]`. */
function flattenInto(
  out: Map<string, Flat>,
  value: unknown,
  name: string,
  path: readonly string[],
): void {
  if (value === undefined || value === null) return;
  if (isScalar(value)) {
    out.set(name, { name, path: [...path], text: String(value) });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flattenInto(out, v, `${name}[${i}]`, [...path, String(i)]));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) flattenInto(out, v, `${name}[${k}]`, [...path, k]);
  }
}

function fieldDiffs(a: ReadonlyMap<string, Flat>, b: ReadonlyMap<string, Flat>): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const [name, fa] of a) {
    const fb = b.get(name);
    if (!fb) out.push(field('Deleted', name, fa.path, fa.text, null));
    else out.push(field(fa.text === fb.text ? 'None' : 'Edited', name, fb.path, fa.text, fb.text));
  }
  for (const [name, fb] of b)
    if (!a.has(name)) out.push(field('Added', name, fb.path, null, fb.text));
  return sortFields(out);
}

function field(
  type: DiffType,
  name: string,
  path: readonly string[],
  old: string | null,
  next: string | null,
): FieldDiff {
  return { type, name, path: [...path], old, new: next, annotations: [] };
}

// ---------------------------------------------------------------------------------------------
// Annotations

/** One changed field, or one whole block added or deleted, for a caller to judge. */
export interface ChangeSite {
  /** Undefined for fields of the job itself. */
  group?: string;
  /** Undefined for fields of the job or of a group. */
  task?: string;
  /** Jobspec keys from the job, group or task to the value: ["count"], ["config", "image"]. */
  path: readonly string[];
  type: DiffType;
  /** The value before and after as text; null for a block or a value that is absent. */
  old: string | null;
  new: string | null;
}

export type DecideAnnotation = (site: ChangeSite) => Annotation | undefined;

export interface AnnotateOptions {
  /** What a change forces; default `nomadRules`. */
  decide?: DecideAnnotation;
  /**
   * The driver's verdict for a task present on both sides (Driver.classifyChange). When given it
   * wins over `decide` for that task: `none` clears its annotations, `in-place` makes them all
   * in-place, `destructive` keeps the fields `decide` found destructive (or marks every change
   * destructive when `decide` found none).
   */
  taskClass?: (group: string, task: string) => ChangeClass | undefined;
}

/** Task fields and blocks that Nomad updates without replacing the allocation. */
const TASK_IN_PLACE = new Set([
  'kill_timeout',
  'kill_signal',
  'shutdown_delay',
  'service',
  'constraint',
  'affinity',
  'spread',
  'logs',
  'meta',
  'scaling',
]);

/** Group blocks whose change needs new allocations (their network, disk or volumes). */
const GROUP_DESTRUCTIVE = new Set(['network', 'ephemeral_disk', 'volume', 'consul']);

/**
 * Nomad's view (scheduler/annotate.go, with drover's reading of meta as in-place): a task change
 * forces a create/destroy update except kill settings, services, placement rules, logs (unless
 * turned on or off) and meta; a group's count forces creates or destroys; its network, disk and
 * volumes force create/destroy updates; other group settings are in place. Job-level fields are
 * left to the scheduler (undefined).
 */
export const nomadRules: DecideAnnotation = (site) => {
  const top = site.path[0] ?? '';
  if (site.group === undefined) return undefined;
  if (site.task === undefined) {
    if (top === 'count') {
      const before = Number(site.old ?? 0);
      const after = Number(site.new ?? 0);
      return after > before ? FORCES_CREATE : after < before ? FORCES_DESTROY : undefined;
    }
    return GROUP_DESTRUCTIVE.has(top) ? FORCES_DESTRUCTIVE : FORCES_IN_PLACE;
  }
  if (top === 'logs' && (site.path[1] === 'disabled' || site.path[1] === 'enabled'))
    return FORCES_DESTRUCTIVE;
  return TASK_IN_PLACE.has(top) ? FORCES_IN_PLACE : FORCES_DESTRUCTIVE;
};

/** Returns a copy of the diff with every annotation decided afresh. */
export function annotateJobDiff(diff: JobDiff, opts: AnnotateOptions = {}): JobDiff {
  const decide = opts.decide ?? nomadRules;
  const scope: Scope = { decide };
  return {
    ...diff,
    fields: annotateFields(diff.fields, scope),
    objects: annotateObjects(diff.objects, scope),
    groups: diff.groups.map((g) => annotateGroup(g, decide, opts.taskClass)),
  };
}

interface Scope {
  decide: DecideAnnotation;
  group?: string;
  task?: string;
  /** Inside a group or task that is itself added or deleted: its header says it all. */
  whole?: boolean;
}

function annotateGroup(
  g: GroupDiff,
  decide: DecideAnnotation,
  taskClass: AnnotateOptions['taskClass'],
): GroupDiff {
  const whole = g.type === 'Added' || g.type === 'Deleted';
  const scope: Scope = { decide, group: g.name, whole };
  return {
    ...g,
    fields: annotateFields(g.fields, scope),
    objects: annotateObjects(g.objects, scope),
    tasks: g.tasks.map((t) => annotateTask(t, g, decide, taskClass)),
  };
}

function annotateTask(
  t: TaskDiff,
  g: GroupDiff,
  decide: DecideAnnotation,
  taskClass: AnnotateOptions['taskClass'],
): TaskDiff {
  if (t.type === 'None') return { ...t, annotations: [] };
  if (t.type === 'Added' || t.type === 'Deleted') {
    const scope: Scope = { decide, group: g.name, task: t.name, whole: true };
    // A task added to or removed from a group that stays means new allocations for the group.
    const header =
      g.type === 'Added'
        ? FORCES_CREATE
        : g.type === 'Deleted'
          ? FORCES_DESTROY
          : FORCES_DESTRUCTIVE;
    return {
      ...t,
      annotations: [header],
      fields: annotateFields(t.fields, scope),
      objects: annotateObjects(t.objects, scope),
    };
  }
  const scope: Scope = { decide, group: g.name, task: t.name };
  let fields = annotateFields(t.fields, scope);
  let objects = annotateObjects(t.objects, scope);
  const verdict = taskClass?.(g.name, t.name);
  if (verdict !== undefined) {
    const found = strongest(collect(fields, objects));
    const to =
      verdict === 'none'
        ? undefined
        : verdict === 'in-place'
          ? () => FORCES_IN_PLACE
          : found === FORCES_DESTRUCTIVE
            ? (a: Annotation) => a
            : () => FORCES_DESTRUCTIVE;
    const remap = (a: Annotation[]): Annotation[] => (to ? a.map(to) : []);
    fields = fields.map((f) => ({ ...f, annotations: remap(f.annotations) }));
    objects = objects.map((o) => remapObject(o, remap));
  }
  const header = strongest(collect(fields, objects));
  return { ...t, annotations: header ? [header] : [], fields, objects };
}

function remapObject(o: ObjectDiff, remap: (a: Annotation[]) => Annotation[]): ObjectDiff {
  return {
    ...o,
    annotations: remap(o.annotations),
    fields: o.fields.map((f) => ({ ...f, annotations: remap(f.annotations) })),
    objects: o.objects.map((c) => remapObject(c, remap)),
  };
}

function annotateFields(fields: readonly FieldDiff[], scope: Scope): FieldDiff[] {
  return fields.map((f) => {
    if (f.type === 'None' || scope.whole) return { ...f, annotations: [] };
    const a = scope.decide(site(scope, f.path, f.type, f.old, f.new));
    return { ...f, annotations: a ? [a] : [] };
  });
}

function annotateObjects(objects: readonly ObjectDiff[], scope: Scope): ObjectDiff[] {
  return objects.map((o) => {
    if (o.type === 'Added' || o.type === 'Deleted') {
      // A whole block comes or goes: one annotation on the block, none on its fields.
      const a = scope.whole ? undefined : scope.decide(site(scope, o.path, o.type, null, null));
      const inner: Scope = { ...scope, whole: true };
      return {
        ...o,
        annotations: a ? [a] : [],
        fields: annotateFields(o.fields, inner),
        objects: annotateObjects(o.objects, inner),
      };
    }
    return {
      ...o,
      annotations: [],
      fields: annotateFields(o.fields, scope),
      objects: annotateObjects(o.objects, scope),
    };
  });
}

function site(
  scope: Scope,
  path: readonly string[],
  type: DiffType,
  old: string | null,
  next: string | null,
): ChangeSite {
  return {
    ...(scope.group !== undefined ? { group: scope.group } : {}),
    ...(scope.task !== undefined ? { task: scope.task } : {}),
    path,
    type,
    old,
    new: next,
  };
}

function collect(fields: readonly FieldDiff[], objects: readonly ObjectDiff[]): Annotation[] {
  const out: Annotation[] = [];
  for (const f of fields) out.push(...f.annotations);
  for (const o of objects) {
    out.push(...o.annotations);
    out.push(...collect(o.fields, o.objects));
  }
  return out;
}

const STRENGTH: Record<Annotation, number> = {
  'forces in-place update': 1,
  'forces create': 2,
  'forces destroy': 2,
  'forces create/destroy update': 3,
};

function strongest(as: readonly Annotation[]): Annotation | undefined {
  let best: Annotation | undefined;
  for (const a of as) if (!best || STRENGTH[a] > STRENGTH[best]) best = a;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** `kill_timeout` → `KillTimeout`, as Nomad names its fields. */
export function pascal(key: string): string {
  return key
    .split(/[_-]/)
    .filter((s) => s.length > 0)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
}

/** Compares strings with runs of digits as numbers, so `Args[2]` sorts before `Args[10]`. */
export function naturalCompare(x: string, y: string): number {
  const re = /(\d+)|(\D+)/g;
  const xs = x.match(re) ?? [];
  const ys = y.match(re) ?? [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const a = xs[i]!;
    const b = ys[i]!;
    if (a === b) continue;
    const na = /^\d/.test(a);
    const nb = /^\d/.test(b);
    if (na && nb) {
      const d = Number(a) - Number(b);
      if (d !== 0) return d;
    }
    return a < b ? -1 : 1;
  }
  return xs.length - ys.length;
}

const TYPE_ORDER: Record<DiffType, number> = { Edited: 0, Added: 1, Deleted: 2, None: 3 };

function sortFields(fields: FieldDiff[]): FieldDiff[] {
  return fields.sort(
    (x, y) =>
      naturalCompare(x.name, y.name) ||
      naturalCompare(x.old ?? '', y.old ?? '') ||
      naturalCompare(x.new ?? '', y.new ?? ''),
  );
}

function sortObjects(objects: ObjectDiff[]): ObjectDiff[] {
  const keyOf = new Map(objects.map((o) => [o, JSON.stringify(o.fields)]));
  return objects.sort(
    (x, y) =>
      naturalCompare(x.name, y.name) ||
      TYPE_ORDER[x.type] - TYPE_ORDER[y.type] ||
      naturalCompare(keyOf.get(x)!, keyOf.get(y)!),
  );
}

function present(v: unknown): unknown {
  return v === null ? undefined : v;
}

/** A label or name as text; '' when it is missing or not a plain value. */
function durationText(v: unknown): unknown {
  return typeof v === 'number' ? formatMs(v) : v;
}

function scalarText(v: unknown): string {
  return isScalar(v) ? String(v) : '';
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

function asObjs(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

function asScalars(v: unknown): Scalar[] | undefined {
  return Array.isArray(v) ? v.filter(isScalar) : undefined;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}
