/**
 * Nomad Variables in the state: writing, purging and listing them (pure: each returns a new
 * snapshot), and the reader templates use. Items are sealed with the keyring's active key
 * (variables-crypto.ts) and opened only when read; nothing here prints or logs a value, and every
 * error names the path, never an item.
 */
import type { VariableMeta, VariableReader } from '../template/context.js';
import { appendEvent } from './events.js';
import type { StateSnapshot, StoredVariable } from './types.js';
import { openItems, sealItems, type VariableKey } from './variables-crypto.js';
import { KEY_ENV, KeyringError, type Keyring } from './variables-keyring.js';
import { DEFAULT_NAMESPACE, itemsProblem, pathProblem } from './variables-rules.js';

/** A request the user got wrong (a bad path, empty items): shown as it is. */
export class VariableError extends Error {
  override readonly name = 'VariableError';
}

/** A check-and-set that lost: the Variable's index is not the one the writer expected. */
export class VariableConflictError extends VariableError {
  constructor(
    readonly path: string,
    readonly checkIndex: number,
    /** The Variable as it is (undefined: there is none). */
    readonly current: VariableMeta | undefined,
  ) {
    const now = current?.ModifyIndex ?? 0;
    super(
      `Check-and-Set conflict on Variable "${path}": the check-index ${checkIndex} does not match ` +
        `its current index ${now}` +
        (current ? ` (last updated ${new Date(current.ModifyTime / 1e6).toISOString()})` : '') +
        `. If you are sure, run it again with -force or -check-index=${now}`,
    );
  }
}

/** The Variables of a state (none in a state written before drover had them). */
export function variablesOf(state: StateSnapshot): Readonly<Record<string, StoredVariable>> {
  return state.variables ?? {};
}

/** Nomad's metadata of a stored Variable. */
export function variableMeta(v: StoredVariable): VariableMeta {
  return {
    Namespace: v.namespace,
    Path: v.path,
    CreateIndex: v.create_index,
    ModifyIndex: v.modify_index,
    CreateTime: v.create_time,
    ModifyTime: v.modify_time,
  };
}

export interface PutVariable {
  path: string;
  items: Readonly<Record<string, string>>;
  /** Compare-and-set on ModifyIndex (0: only if there is none); undefined with `force`. */
  checkIndex?: number;
  /** Write whatever is there (Nomad's -force). */
  force?: boolean;
  key: VariableKey;
  now: Date;
  /** `user@host`, for the event log. */
  who: string;
}

/**
 * The state with the Variable written. Its index is the serial this write gives the state, so
 * indexes only grow. Without `force` it is a check-and-set against `checkIndex ?? 0`: as with
 * Nomad, `var put` over an existing Variable needs -check-index or -force.
 */
export function putVariable(
  state: StateSnapshot,
  req: PutVariable,
): { state: StateSnapshot; meta: VariableMeta; created: boolean } {
  checkPath(req.path);
  const problem = itemsProblem(req.items);
  if (problem) throw new VariableError(`cannot write Variable "${req.path}": ${problem}`);
  const existing = variablesOf(state)[req.path];
  if (!req.force) checkIndex(req.path, req.checkIndex ?? 0, existing);
  const index = state.serial + 1;
  const nanos = unixNanos(req.now);
  const stored: StoredVariable = {
    namespace: DEFAULT_NAMESPACE,
    path: req.path,
    create_index: existing?.create_index ?? index,
    modify_index: index,
    create_time: existing?.create_time ?? nanos,
    modify_time: nanos,
    ...sealItems(req.items, req.path, req.key),
  };
  const next = appendEvent(
    { ...state, variables: { ...variablesOf(state), [req.path]: stored } },
    {
      time: req.now.toISOString(),
      who: req.who,
      what: 'var.put',
      detail: `${existing ? 'updated' : 'created'} Variable "${req.path}" (modify index ${index})`,
    },
  );
  return { state: next, meta: variableMeta(stored), created: !existing };
}

export interface PurgeVariable {
  path: string;
  /** Delete only if the Variable's ModifyIndex is this (0: only if there is none). */
  checkIndex?: number;
  now: Date;
  who: string;
}

/** The state without the Variable; purging a path that holds none changes nothing (as Nomad). */
export function purgeVariable(
  state: StateSnapshot,
  req: PurgeVariable,
): { state: StateSnapshot; purged: VariableMeta | undefined } {
  checkPath(req.path);
  const existing = variablesOf(state)[req.path];
  if (req.checkIndex !== undefined) checkIndex(req.path, req.checkIndex, existing);
  if (!existing) return { state, purged: undefined };
  const { [req.path]: _gone, ...rest } = variablesOf(state);
  const next = appendEvent(
    { ...state, variables: rest },
    {
      time: req.now.toISOString(),
      who: req.who,
      what: 'var.purge',
      detail: `purged Variable "${req.path}" (it was at modify index ${existing.modify_index})`,
    },
  );
  return { state: next, purged: variableMeta(existing) };
}

/** Every Variable whose path starts with `prefix`, sorted by path: metadata only. */
export function listVariables(state: StateSnapshot, prefix = ''): VariableMeta[] {
  return Object.values(variablesOf(state))
    .filter((v) => v.path.startsWith(prefix))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(variableMeta);
}

/** A stored Variable's items, opened with the keyring; errors name the path and the key. */
export function openVariable(v: StoredVariable, keyring: Keyring): Record<string, string> {
  const key = keyring.find(v.key_id);
  if (!key) {
    throw new KeyringError(
      `cannot decrypt Variable "${v.path}": ${keyring.where} has no key ${v.key_id}; ` +
        `restore the keyring you backed up or set ${KEY_ENV}`,
    );
  }
  const items = openItems(v, v.path, key);
  if (!items) {
    throw new KeyringError(
      `cannot decrypt Variable "${v.path}": its data does not open with key ${v.key_id} ` +
        '(the state was changed or damaged); restore it from a snapshot or write it again',
    );
  }
  return items;
}

/**
 * What templates read (`nomadVar`, `nomadVarList`, `nomadVarExists`): Variables of this snapshot,
 * each opened the first time it is read.
 */
export function variableReader(state: StateSnapshot, keyring: Keyring): VariableReader {
  const vars = variablesOf(state);
  const opened = new Map<string, Readonly<Record<string, string>>>();
  return {
    get(path) {
      const v = Object.hasOwn(vars, path) ? vars[path] : undefined;
      if (!v) return undefined;
      let items = opened.get(path);
      if (!items) {
        items = Object.freeze(openVariable(v, keyring));
        opened.set(path, items);
      }
      return { meta: variableMeta(v), items };
    },
    list: (prefix) => listVariables(state, prefix),
  };
}

/** The Variables as `state show` prints them: metadata, and `(encrypted)` for the items. */
export function showableVariables(
  state: StateSnapshot,
): Record<string, VariableMeta & { KeyID: string; Items: '(encrypted)' }> {
  const out: Record<string, VariableMeta & { KeyID: string; Items: '(encrypted)' }> = {};
  for (const [path, v] of Object.entries(variablesOf(state)))
    out[path] = { ...variableMeta(v), KeyID: v.key_id, Items: '(encrypted)' };
  return out;
}

function checkPath(path: string): void {
  const problem = pathProblem(path);
  if (problem) throw new VariableError(problem);
}

function checkIndex(path: string, expected: number, existing: StoredVariable | undefined): void {
  const current = existing?.modify_index ?? 0;
  if (current !== expected)
    throw new VariableConflictError(path, expected, existing && variableMeta(existing));
}

/** Unix nanoseconds from a Date (millisecond precision, as JavaScript's clock has). */
function unixNanos(d: Date): number {
  return d.getTime() * 1e6;
}
