/**
 * Sensitive values (Nomad jobspec2's `sensitive = true` variables, shown as Terraform does).
 *
 * The mark is found by difference, not carried through the evaluator: the job is evaluated a
 * second time with every sensitive variable replaced by a probe value that differs in every
 * character (and in length, sign or truth), and each leaf of the normalized job that differs
 * between the two runs derives from a sensitive value, whatever interpolation, function, local
 * or conditional led to it. Leaves that contain a sensitive string verbatim are marked too. The
 * marks are JSON pointers (RFC 6901) into the normalized job, recorded with it; everything
 * that displays a job, a diff or a message redacts what they point at as `(sensitive)`.
 */
import type { Value } from '../hcl/value.js';

export const SENSITIVE_TEXT = '(sensitive)';

/** Shorter sensitive strings are not searched for inside other text (too many false hits). */
const MIN_SEARCHED_LENGTH = 4;

/** The probe value for a sensitive variable: differs from `v` in every leaf. */
export function probeValue(v: Value): Value {
  if (typeof v === 'string') return probeString(v);
  if (typeof v === 'number') return -v - 1;
  if (typeof v === 'boolean') return !v;
  if (v === null) return '\u0001drover-probe';
  if (Array.isArray(v)) return v.map(probeValue);
  const out: Record<string, Value> = {};
  for (const k of Object.keys(v)) out[k] = probeValue(v[k]!);
  return out;
}

/** Every code unit shifted (letters stay letters), plus one more: any substring differs too. */
function probeString(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += String.fromCodePoint(c >= 0xd800 && c <= 0xdfff ? c : c ^ 1);
  }
  return out + '\u0001';
}

/**
 * Pointers to the leaves of `real` that differ from `probe` (a subtree whose shape differs is
 * marked whole), plus string leaves that contain one of `secrets`.
 */
export function sensitivePointers(
  real: unknown,
  probe: unknown,
  secrets: readonly string[],
): string[] {
  const out: string[] = [];
  const searched = secrets.filter((s) => s.length >= MIN_SEARCHED_LENGTH);
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
      const ka = Object.keys(a);
      const kb = Object.keys(b);
      if (ka.length !== kb.length || ka.some((k) => !(k in b))) {
        out.push(at);
        return;
      }
      for (const k of ka)
        walk(
          (a as Record<string, unknown>)[k],
          (b as Record<string, unknown>)[k],
          at + '/' + esc(k),
        );
      return;
    }
    if (isContainer(a) || isContainer(b) || leafText(a) !== leafText(b)) out.push(at);
    else if (typeof a === 'string' && searched.some((s) => a.includes(s))) out.push(at);
  };
  walk(real, probe, '');
  return out;
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

function leafText(v: unknown): string {
  return v === undefined ? '\u0000undefined' : scalarText(v);
}

/** A scalar's text (containers are walked, never stringified). */
function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
}

function esc(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unesc(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The value a pointer names in `doc`, or undefined. */
export function atPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const part of pointer.slice(1).split('/')) {
    if (!isContainer(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[unesc(part)];
  }
  return cur;
}

/** The text of every leaf the pointers name in `doc` (a marked subtree gives all its leaves). */
export function sensitiveTexts(doc: unknown, pointers: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  const leaves = (v: unknown): void => {
    if (isContainer(v)) for (const x of Object.values(v)) leaves(x);
    else if (v !== undefined && v !== null) out.add(scalarText(v));
  };
  for (const p of pointers ?? []) leaves(atPointer(doc, p));
  return [...out].filter((t) => t.length > 0);
}

/**
 * Hides sensitive texts: whole values equal to one become `(sensitive)`, and in longer text
 * every occurrence of one (of a searchable length) does.
 */
export class Redactor {
  private readonly exact: ReadonlySet<string>;
  private readonly searched: readonly string[];

  constructor(texts: Iterable<string>) {
    const all = [...new Set(texts)].filter((t) => t.length > 0);
    this.exact = new Set(all);
    // Longest first, so a secret that contains another is replaced whole.
    this.searched = all
      .filter((t) => t.length >= MIN_SEARCHED_LENGTH)
      .sort((x, y) => y.length - x.length);
  }

  get empty(): boolean {
    return this.exact.size === 0;
  }

  /** A value shown on its own (a diff's old or new text). */
  value<T extends string | null>(v: T): T | string {
    if (v === null) return v;
    return this.exact.has(v) || this.searched.some((s) => v.includes(s)) ? SENSITIVE_TEXT : v;
  }

  /** Free text (a message, an event's detail): each occurrence replaced. */
  text(s: string): string {
    let out = s;
    for (const t of this.searched) out = out.split(t).join(SENSITIVE_TEXT);
    return out;
  }

  /** A copy of JSON data with every string redacted as free text, or as a value when whole. */
  deep<T>(v: T): T {
    if (this.empty) return v;
    const walk = (x: unknown): unknown => {
      if (typeof x === 'string') return this.exact.has(x) ? SENSITIVE_TEXT : this.text(x);
      if (Array.isArray(x)) return x.map(walk);
      if (isContainer(x)) {
        const o: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(x)) o[k] = walk(val);
        return o;
      }
      return x;
    };
    return walk(v) as T;
  }
}

/** Replaces what the pointers name in a copy of `doc` with `(sensitive)`. */
export function redactAtPointers<T>(doc: T, pointers: readonly string[] | undefined): T {
  if (!pointers?.length) return doc;
  const copy = JSON.parse(JSON.stringify(doc)) as T;
  for (const p of pointers) {
    if (p === '') return SENSITIVE_TEXT as T;
    const parts = p.slice(1).split('/').map(unesc);
    const last = parts.pop()!;
    const parent = atPointer(copy, parts.length ? '/' + parts.map(esc).join('/') : '');
    if (isContainer(parent) && last in parent)
      (parent as Record<string, unknown>)[last] = SENSITIVE_TEXT;
  }
  return copy;
}

/** The text of every leaf of a value (a sensitive map's values, say). */
export function leafTexts(v: unknown): string[] {
  if (isContainer(v)) return Object.values(v).flatMap(leafTexts);
  return v === undefined || v === null ? [] : [scalarText(v)];
}
