/**
 * Drift: what runs compared with what was applied, field by field (pure). A driver's
 * `inspectTask` gives both sides of one task (`TaskObservation`); this module says which fields
 * differ, hides sensitive values, words the replacement reason a plan shows ("drifted (image
 * changed by hand)") and renders the report of `drover drift` as text and JSON.
 */
import { SENSITIVE_TEXT } from '../jobspec/sensitive.js';
import type { TaskObservation } from '../jobspec/task-view.js';

/** One field that differs: as applied, as found (quoted strings, or a word like `missing`). */
export interface FieldDrift {
  /** `image`, `image id`, `command`, `env[KEY]`, `labels[KEY]`, `ports`, `mounts`, … */
  field: string;
  applied: string;
  found: string;
}

/** The drift of one task of one allocation. */
export interface TaskDrift {
  alloc_id: string;
  alloc_name: string;
  job: string;
  group: string;
  task: string;
  node: string;
  driver: string;
  fields: FieldDrift[];
  /** Why a plan replaces the allocation: `image changed by hand`, `container removed by hand`. */
  reason: string;
}

/** A task drift was not looked for, and why ("drift not checked for driver mock"). */
export interface UncheckedTask {
  alloc_id: string;
  alloc_name: string;
  task: string;
  node: string;
  why: string;
}

export interface DriftReport {
  /** Tasks compared (drifted or not). */
  checked: number;
  drifted: TaskDrift[];
  unchecked: UncheckedTask[];
}

/** Placeholders for what is not there: an unset variable, a container that is gone. */
export const UNSET = '(unset)';

/**
 * The fields in which the task found differs from the task applied. Nothing found is one field
 * (`container`/`process`: running => missing); found but not running adds `state`. Keys of the
 * environment and labels beyond the applied ones count only where the observation says what
 * else the task has by right (its image's); processes are compared on drover's keys only.
 */
export function compareTask(obs: TaskObservation): FieldDrift[] {
  const { applied, found } = obs;
  if (!found)
    return obs.restarting ? [] : [{ field: obs.kind, applied: 'running', found: 'missing' }];
  const out: FieldDrift[] = [];
  if (applied.id !== undefined && found.id !== applied.id)
    out.push({ field: obs.kind, applied: shortId(applied.id), found: shortId(found.id) });
  if (!found.running) out.push({ field: 'state', applied: 'running', found: found.state });
  const imageChanged = compareScalar(out, 'image', applied.image, found.image, imageRef);
  if (!imageChanged) compareScalar(out, 'image id', applied.imageId, found.imageId);
  compareList(out, 'command', applied.command, found.command);
  compareList(out, 'entrypoint', applied.entrypoint, found.entrypoint);
  compareMap(out, 'env', applied.env, found.env, obs.inherited?.env);
  compareList(out, 'ports', applied.ports, found.ports);
  compareList(out, 'mounts', applied.mounts, found.mounts);
  compareMap(out, 'labels', applied.labels, found.labels, obs.inherited?.labels);
  compareScalar(out, 'memory', applied.memory, found.memory);
  compareScalar(out, 'cpu shares', applied.cpuShares, found.cpuShares);
  return out;
}

/** Container ids as `docker ps` shows them (12 characters); pids as they are. */
const shortId = (id: string): string => (/^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id);

/** An image as the engine resolves it: no tag means `latest`, no registry Docker Hub. */
function imageRef(image: string): string {
  // Podman reports the names it resolved: docker.io/library/busybox for busybox.
  const short = image.replace(/^(docker\.io\/library\/|docker\.io\/|localhost\/)/, '');
  if (short.includes('@')) return short;
  return short.slice(short.lastIndexOf('/') + 1).includes(':') ? short : `${short}:latest`;
}

function compareScalar<T extends string | number>(
  out: FieldDrift[],
  field: string,
  applied: T | undefined,
  found: T | undefined,
  norm: (v: T) => T = (v) => v,
): boolean {
  if (applied === undefined || found === undefined || norm(applied) === norm(found)) return false;
  out.push({ field, applied: quote(applied), found: quote(found) });
  return true;
}

function compareList(
  out: FieldDrift[],
  field: string,
  applied: readonly string[] | undefined,
  found: readonly string[] | undefined,
): void {
  if (applied === undefined) return;
  const f = found ?? [];
  if (applied.length === f.length && applied.every((v, i) => v === f[i])) return;
  out.push({ field, applied: listText(applied), found: listText(f) });
}

function compareMap(
  out: FieldDrift[],
  field: string,
  applied: Readonly<Record<string, string>> | undefined,
  found: Readonly<Record<string, string>> | undefined,
  inherited: Readonly<Record<string, string>> | undefined,
): void {
  if (applied === undefined) return;
  const f = found ?? {};
  const keys = new Set(Object.keys(applied));
  // Keys added beside drover's: only where what the task has by right is known.
  if (inherited)
    for (const [k, v] of Object.entries(f)) if (!(k in applied) && inherited[k] !== v) keys.add(k);
  for (const k of [...keys].sort()) {
    const a = applied[k];
    const b = f[k];
    if (a === b) continue;
    out.push({
      field: `${field}[${k}]`,
      applied: a === undefined ? UNSET : quote(a),
      found: b === undefined ? UNSET : quote(b),
    });
  }
}

const quote = (v: string | number): string =>
  typeof v === 'number' ? String(v) : JSON.stringify(v);
const listText = (l: readonly string[]): string =>
  `[${l.map((v) => JSON.stringify(v)).join(', ')}]`;

/**
 * The fields with sensitive values hidden: a field whose applied or found text is (or holds) a
 * sensitive value reads `(sensitive)` on both sides, so a changed secret still reads as changed.
 */
export function redactFields(
  fields: readonly FieldDrift[],
  isSensitive: (text: string) => boolean,
): FieldDrift[] {
  return fields.map((f) =>
    isSensitive(f.applied) || isSensitive(f.found)
      ? { ...f, applied: SENSITIVE_TEXT, found: SENSITIVE_TEXT }
      : f,
  );
}

/**
 * In a few words, for the plan's replacement line: `container removed by hand`, `image, env
 * changed by hand`, `process not running`.
 */
export function driftReason(kind: TaskObservation['kind'], fields: readonly FieldDrift[]): string {
  const gone = fields.find((f) => f.field === kind);
  if (gone?.found === 'missing') return `${kind} removed by hand`;
  const names = [...new Set(fields.map((f) => f.field.replace(/\[.*$/, '')))];
  const changed = names.filter((n) => n !== 'state' && n !== kind);
  const parts: string[] = [];
  if (gone) parts.push(`${kind} recreated by hand`);
  if (changed.length) parts.push(`${changed.join(', ')} changed by hand`);
  if (names.includes('state')) parts.push(`${kind} not running`);
  return parts.join('; ');
}

/** The words a plan gives a replacement of a drifted allocation. */
export const DRIFTED = 'drifted';
export const driftedDescription = (reasons: readonly string[]): string =>
  `${DRIFTED} (${reasons.join('; ')})`;

/** Allocation id → why it is replaced: what a plan feeds to the scheduler. */
export function driftedAllocations(report: DriftReport): Map<string, string> {
  const reasons = new Map<string, string[]>();
  for (const t of report.drifted)
    reasons.set(t.alloc_id, [...(reasons.get(t.alloc_id) ?? []), `task ${t.task}: ${t.reason}`]);
  return new Map(
    [...reasons].map(([id, rs]) => [
      id,
      driftedDescription(rs.length === 1 ? [rs[0]!.replace(/^task \S+: /, '')] : rs),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Keys of one map (env, labels) shown one line each up to this many; beyond, in one line. */
const KEYS_PER_LINE = 3;

/** `~ alloc 1a2b3c4d task web (node n1): image: "nginx:1.25" => "nginx:1.27" (changed by hand)` */
export function renderDriftText(report: DriftReport): string[] {
  const out: string[] = [];
  for (const u of report.unchecked)
    out.push(`Warning: ${u.why} (alloc ${u.alloc_id.slice(0, 8)} task ${u.task}, node ${u.node})`);
  for (const t of report.drifted) {
    const head = `~ alloc ${t.alloc_id.slice(0, 8)} task ${t.task} (node ${t.node})`;
    for (const line of fieldLines(t.fields)) out.push(`${head}: ${line}`);
  }
  if (out.length) out.push('');
  const n = report.drifted.length;
  if (n === 0) out.push(`No drift: ${report.checked} of ${report.checked} tasks run as applied.`);
  else {
    const allocs = new Set(report.drifted.map((t) => t.alloc_id)).size;
    out.push(
      `Drift: ${n} of ${report.checked} tasks ${n === 1 ? 'differs' : 'differ'} from what was applied (${allocs} allocation${allocs === 1 ? '' : 's'}); drover apply of the same jobspecs replaces ${allocs === 1 ? 'it' : 'them'}.`,
    );
  }
  return out;
}

/**
 * One line per field; the keys of a map that differ the same way in many places (a container
 * recreated by hand lacks every variable drover set) are summed up in one line.
 */
function fieldLines(fields: readonly FieldDrift[]): string[] {
  const groupOf = (f: FieldDrift): string | undefined => {
    const map = /^(\w+)\[/.exec(f.field)?.[1];
    return map && `${map}: ${how(f)}`;
  };
  const sizes = new Map<string, number>();
  for (const f of fields) {
    const g = groupOf(f);
    if (g) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  }
  const out: string[] = [];
  const summed = new Set<string>();
  for (const f of fields) {
    const g = groupOf(f);
    if (!g || (sizes.get(g) ?? 0) <= KEYS_PER_LINE) {
      out.push(`${f.field}: ${f.applied} => ${f.found} (${how(f)})`);
      continue;
    }
    if (summed.has(g)) continue;
    summed.add(g);
    const keys = fields.filter((x) => groupOf(x) === g).map((x) => /\[(.*)\]$/.exec(x.field)![1]);
    const [map, words] = g.split(': ');
    out.push(`${map}: ${keys.length} keys ${words}: ${keys.join(', ')}`);
  }
  return out;
}

function how(f: FieldDrift): string {
  if (f.found === 'missing') return 'removed by hand';
  if (f.field === 'container' || f.field === 'process') return 'recreated by hand';
  if (f.field === 'state') return 'stopped outside drover';
  if (f.applied === UNSET) return 'added by hand';
  if (f.found === UNSET) return 'removed by hand';
  return 'changed by hand';
}

/** The report as `drover drift -json` prints it. */
export function driftJson(report: DriftReport): {
  drifted: boolean;
  checked: number;
  tasks: TaskDrift[];
  unchecked: UncheckedTask[];
} {
  return {
    drifted: report.drifted.length > 0,
    checked: report.checked,
    tasks: report.drifted,
    unchecked: report.unchecked,
  };
}
