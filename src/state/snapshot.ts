/** Creating and serialising snapshots; pure. */
import type { StateSnapshot } from './types.js';

/** The file format this drover reads and writes. */
export const STATE_FORMAT_VERSION = 1;

/** A state that has never been written: serial 0, nothing recorded. */
export function emptyState(lineage: string): StateSnapshot {
  return {
    format_version: STATE_FORMAT_VERSION,
    lineage,
    serial: 0,
    nodes: {},
    jobs: {},
    allocations: {},
    deployments: {},
    events: [],
  };
}

/**
 * The on-disk form: compact JSON with a final newline. An apply rewrites the file after every
 * step, and indenting costs about half again as much CPU and 1.8 times the bytes (3.3 ms against
 * 2.3 ms, 1.4 MB against 0.8 MB, for 100 jobs with 300 allocations); people read the state
 * through `drover state show` (or `jq`).
 */
export function serializeState(state: StateSnapshot): string {
  return JSON.stringify(state) + '\n';
}

/** The JSON text of entries already serialized, by identity (see `serializeStateReusing`). */
export type EntryTexts = WeakMap<object, string>;

/**
 * The same text as `serializeState`, but each entry of the state's maps (node, job, allocation,
 * deployment) and of its event log is stringified once and its text reused while the entry is
 * the same object. An apply writes the whole state after each step yet changes one or two
 * entries: stringifying all of them again made writing 1,000 jobs grow with the square of their
 * number (6 ms per MB of state, on every write). Only for snapshots derived without mutating
 * entries once written (drover's recorder), as `changedSchemaProblems` assumes too.
 */
export function serializeStateReusing(state: StateSnapshot, texts: EntryTexts): string {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(state)) {
    const text = Array.isArray(value)
      ? `[${value.map((v) => entryText(v, texts) ?? 'null').join(',')}]`
      : isPlainObject(value)
        ? mapText(value, texts)
        : JSON.stringify(value);
    // JSON.stringify leaves out what has no JSON form (undefined, functions), and so does this.
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(',')}}\n`;
}

function mapText(map: Record<string, unknown>, texts: EntryTexts): string {
  const fields: string[] = [];
  for (const key in map) {
    if (!Object.hasOwn(map, key)) continue;
    const text = entryText(map[key], texts);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(',')}}`;
}

function entryText(value: unknown, texts: EntryTexts): string | undefined {
  if (!isPlainObject(value)) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
