/**
 * Every function a template may call: Go's builtins, consul-template's helpers, its Nomad
 * functions over drover's records, the common sprig functions, and the names drover parses but
 * refuses at render time (Consul, Vault, host access), each with the reason.
 */
import { str } from './args.js';
import { BUILTINS, fn } from './builtins.js';
import type { FuncEnv, TemplateFunc } from './exec.js';
import { CORE_FUNCTIONS } from './functions-core.js';
import { NOMAD_FUNCTIONS } from './functions-nomad.js';
import { REFUSED_FUNCTIONS } from './functions-refused.js';
import { SPRIG_FUNCTIONS } from './functions-sprig.js';
import { isObject, isStruct, struct, typeName, type Value } from './values.js';

export { CONSUL_VAULT_FUNCTIONS } from './functions-refused.js';
export { SPRIG_BUILT } from './functions-sprig.js';

/** byTag: services grouped by each of their tags. */
function byTag(services: Value): Value {
  const out: { [tag: string]: Value[] } = {};
  for (const s of Array.isArray(services) ? services : []) {
    const tags = isObject(s) && Array.isArray(s.Tags) ? s.Tags : undefined;
    if (!tags)
      throw new Error(
        `byTag: wrong type for value; expected a list of services; got ${typeName(s)}`,
      );
    for (const t of tags) (out[str(t)] ??= []).push(s);
  }
  return out;
}

/** byPort: services grouped by port. */
function byPort(services: Value): Value {
  const out: { [port: string]: Value[] } = {};
  for (const s of Array.isArray(services) ? services : []) {
    if (!isStruct(s) || typeof s.Port !== 'bigint')
      throw new Error(
        `byPort: wrong type for value; expected a list of services; got ${typeName(s)}`,
      );
    (out[String(s.Port)] ??= []).push(s);
  }
  return out;
}

/** consul-template's scratch: a key/value store for the length of one render. */
function scratch(e: FuncEnv): Value {
  const s = e.scratch;
  const maps = (k: string): { [key: string]: Value } => {
    const cur = s.get(k);
    if (isObject(cur)) return cur;
    const m: { [key: string]: Value } = {};
    s.set(k, m);
    return m;
  };
  return struct(
    '*template.Scratch',
    {},
    {
      methods: {
        Key: (k) => s.has(str(k)),
        Get: (k) => s.get(str(k)) ?? null,
        Set: (k, v) => {
          s.set(str(k), v ?? null);
          return '';
        },
        SetX: (k, v) => {
          if (!s.has(str(k))) s.set(str(k), v ?? null);
          return '';
        },
        MapSet: (k, mk, v) => {
          maps(str(k))[str(mk)] = v ?? null;
          return '';
        },
        MapSetX: (k, mk, v) => {
          const m = maps(str(k));
          if (!Object.hasOwn(m, str(mk))) m[str(mk)] = v ?? null;
          return '';
        },
        MapValues: (k) => {
          const m = maps(str(k));
          return Object.keys(m)
            .sort()
            .map((x) => m[x]!);
        },
      },
    },
  );
}

const TABLE: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ...BUILTINS,
  ...CORE_FUNCTIONS,
  ['byTag', fn(1, 1, ([s]) => byTag(s))],
  ['byPort', fn(1, 1, ([s]) => byPort(s))],
  ['scratch', fn(0, 0, (_a, e) => scratch(e))],
  ...NOMAD_FUNCTIONS,
  ...SPRIG_FUNCTIONS,
  ...REFUSED_FUNCTIONS,
]);

export const FUNCTIONS = TABLE;
