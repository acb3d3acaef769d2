/**
 * What `drover var put` reads, as Nomad's `var put` reads it: a Variable specification (JSON or
 * HCL, from a file or stdin) and KEY=VALUE arguments whose value may be `@file` (the file's
 * bytes), `-` (stdin), `\@…` (a literal `@`) or empty (drop the item). Messages name keys and
 * files, never a value, and HCL errors carry no code frame (it would show the line's value).
 */
import { Diagnostics } from '../../diag/diagnostic.js';
import type { Body } from '../../hcl/ast.js';
import { EvalScope, evaluate } from '../../hcl/eval.js';
import { parseHCL } from '../../hcl/parser.js';
import type { Value } from '../../hcl/value.js';
import { UserError } from '../with-session.js';

export type SpecFormat = 'json' | 'hcl';

/** A Variable specification: what of Nomad's Variable the user gave. */
export interface VariableSpec {
  path?: string;
  items: Record<string, string>;
  /** The spec's ModifyIndex: the check-index unless -check-index is given. */
  modifyIndex?: number;
}

/** Reads the files and stdin the arguments name; given so tests need no real stdin. */
export interface InputSource {
  readFile(path: string): string;
  readStdin(): string;
}

/** `@file.json` / `@file.hcl` decide the format; `-in` decides for stdin and other names. */
export function formatOf(file: string, given: SpecFormat | undefined): SpecFormat {
  if (file.endsWith('.json')) return 'json';
  if (file.endsWith('.hcl')) return 'hcl';
  if (given) return given;
  throw new UserError(`Unable to determine format of ${file}; Use the -in flag to specify it.`);
}

export function parseSpec(text: string, format: SpecFormat, where: string): VariableSpec {
  return format === 'json' ? parseJsonSpec(text, where) : parseHclSpec(text, where);
}

/**
 * The arguments of `var put` after the flags: `PATH | - | @SPEC`, then optionally `- | @SPEC`,
 * then KEY=VALUE items (and `-` / `@file.json` for a JSON object of items, as Nomad's KV builder).
 */
export function readPutArgs(
  args: readonly string[],
  inFormat: SpecFormat | undefined,
  io: InputSource,
): { path: string; items: Record<string, string>; modifyIndex?: number } {
  if (args.length === 0)
    throw new UserError('Not enough arguments: give a PATH and KEY=VALUE items');
  let spec: VariableSpec | undefined;
  let path: string | undefined;
  let stdinUsed = false;
  const stdin = (what: string): string => {
    if (stdinUsed) throw new UserError(`${what}: stdin already consumed`);
    stdinUsed = true;
    return io.readStdin();
  };
  const specFrom = (arg: string): VariableSpec | undefined => {
    if (arg === '-') return parseSpec(stdin('the specification'), inFormat ?? 'json', 'stdin');
    if (isFileRef(arg)) {
      const file = arg.slice(1);
      return parseSpec(readOrFail(io, file), formatOf(file, inFormat), file);
    }
    return undefined;
  };
  let rest = [...args];
  spec = specFrom(rest[0]!);
  if (!spec) {
    path = rest[0]!;
    rest = rest.slice(1);
    if (rest.length > 0) {
      spec = specFrom(rest[0]!);
      if (spec) rest = rest.slice(1);
    }
  } else rest = rest.slice(1);
  if (!spec && rest.length === 0)
    throw new UserError('Must supply data: KEY=VALUE items or a specification (@file or -)');

  const items = { ...(spec?.items ?? {}) };
  const given = new Set<string>();
  for (const arg of rest) {
    const eq = arg.indexOf('=');
    if (eq < 0) {
      if (arg === '-') Object.assign(items, jsonItems(stdin('"-"'), 'stdin'));
      else if (isFileRef(arg)) Object.assign(items, jsonItems(readOrFail(io, arg.slice(1)), arg));
      else
        throw new UserError(
          `invalid key/value pair "${arg.split('=')[0]}": format must be key=value`,
        );
      continue;
    }
    const key = arg.slice(0, eq);
    let value = arg.slice(eq + 1);
    if (given.has(key)) throw new UserError(`item "${key}" is given twice`);
    given.add(key);
    if (value.startsWith('@')) value = readOrFail(io, value.slice(1));
    else if (value.startsWith('\\@')) value = value.slice(1);
    else if (value === '-') value = stdin(`item "${key}"`);
    // An empty value removes the item (Nomad's `var put path key=`).
    if (value === '') delete items[key];
    else items[key] = value;
  }
  // A path given as an argument wins; a spec copied to another path starts a new Variable.
  const specPath = spec?.path;
  const samePath = path === undefined || specPath === undefined || path === specPath;
  return {
    path: path ?? specPath ?? '',
    items,
    ...(samePath && spec?.modifyIndex !== undefined ? { modifyIndex: spec.modifyIndex } : {}),
  };
}

function isFileRef(arg: string): boolean {
  return arg.startsWith('@');
}

function readOrFail(io: InputSource, file: string): string {
  try {
    return io.readFile(file);
  } catch (e) {
    throw new UserError(
      `error reading "${file}": ${(e as NodeJS.ErrnoException).code ?? 'failed'}`,
    );
  }
}

function jsonItems(text: string, where: string): Record<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UserError(`${where} is not a JSON object of items`);
  }
  return stringItems(data, where);
}

function stringItems(data: unknown, where: string): Record<string, string> {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UserError(`${where}: the items must be an object of KEY = "value"`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new UserError(`${where}: item "${k}" must be a string`);
    out[k] = String(v);
  }
  return out;
}

const SPEC_FIELDS = [
  'namespace',
  'path',
  'items',
  'create_index',
  'modify_index',
  'create_time',
  'modify_time',
] as const;

/** Nomad's JSON Variable (`Path`, `Items`, `ModifyIndex` …); keys match case-insensitively, as Go's. */
function parseJsonSpec(text: string, where: string): VariableSpec {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UserError(`${where}: a Variable specification is a JSON object`);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) fields[k.toLowerCase().replace(/_/g, '')] = v;
  return specFrom(
    {
      path: fields.path,
      items: fields.items,
      modify_index: fields.modifyindex,
      namespace: fields.namespace,
    },
    where,
  );
}

/** `path = "…"`, `items { KEY = "value" }` (or `items = { … }`), the indexes and times. */
function parseHclSpec(text: string, where: string): VariableSpec {
  const { file, diagnostics } = parseHCL(text, where);
  if (diagnostics.length > 0) throw new UserError(hclProblems(diagnostics));
  const diags = new Diagnostics();
  const scope = EvalScope.create({ variablesAllowed: false });
  const fields: Record<string, unknown> = {};
  const valueOf = (body: Body): Record<string, Value> => {
    const out: Record<string, Value> = {};
    for (const item of body.items) {
      if (item.kind === 'Block') {
        if (item.type !== 'items' || item.labels.length > 0)
          throw new UserError(`${where}: unexpected block "${item.type}" (only items { … })`);
        out.items = valueOf(item.body);
        continue;
      }
      const v = evaluate(item.expr, scope, diags);
      if (v !== undefined) out[item.name] = v;
    }
    return out;
  };
  const top = valueOf(file.body);
  if (diags.hasErrors) throw new UserError(hclProblems(diags.items));
  for (const [k, v] of Object.entries(top)) {
    if (!(SPEC_FIELDS as readonly string[]).includes(k))
      throw new UserError(`${where}: invalid key "${k}" (valid: ${SPEC_FIELDS.join(', ')})`);
    fields[k] = v;
  }
  return specFrom(fields, where);
}

function specFrom(fields: Record<string, unknown>, where: string): VariableSpec {
  const { path, items, modify_index: modifyIndex, namespace } = fields;
  if (namespace !== undefined && namespace !== 'default')
    throw new UserError(`${where}: drover keeps Variables in the namespace "default" only`);
  if (path !== undefined && typeof path !== 'string')
    throw new UserError(`${where}: path must be a string`);
  if (modifyIndex !== undefined && !(Number.isInteger(modifyIndex) && (modifyIndex as number) >= 0))
    throw new UserError(`${where}: modify_index must be a whole number`);
  return {
    ...(path !== undefined ? { path } : {}),
    items: items === undefined || items === null ? {} : stringItems(items, where),
    ...(modifyIndex !== undefined ? { modifyIndex: modifyIndex as number } : {}),
  };
}

/** `file:line:col: summary` lines, without the code frame that would show a value. */
function hclProblems(
  ds: readonly {
    summary: string;
    range?: { filename: string; start: { line: number; column: number } };
  }[],
): string {
  return ds
    .map((d) =>
      d.range
        ? `${d.range.filename}:${d.range.start.line}:${d.range.start.column}: ${d.summary}`
        : d.summary,
    )
    .join('\n');
}
