/**
 * consul-template's Nomad functions, over drover's own records: `nomadService(s)` from the
 * `provider = "nomad"` services in state, `nomadVar*` from Variables. consul-template waits for a
 * missing Variable forever; drover fails the render naming its path instead.
 */
import { createHash } from 'node:crypto';
import { str } from './args.js';
import { fn } from './builtins.js';
import { sprint } from './fmt.js';
import type { ServiceCatalog, VariableMeta, VariableReader } from './context.js';
import type { FuncEnv, TemplateFunc } from './exec.js';
import { mapWithMethods, struct, type Value } from './values.js';

/** `[tag.]name[@region]`, as consul-template's NomadServiceQueryRe. */
const SERVICE_QUERY = /^(?:([\w=:.-]+)\.)?([\w-]+)(?:@([\w.-]+))?$/;

function catalog(e: FuncEnv, name: string): ServiceCatalog {
  if (!e.ctx.services)
    throw new Error(`${name}: this render has no record of Nomad services to read`);
  return e.ctx.services;
}

function variables(e: FuncEnv, name: string): VariableReader {
  if (!e.ctx.variables) throw new Error(`${name}: this render has no Variables to read`);
  return e.ctx.variables;
}

function serviceValue(r: import('./context.js').ServiceRegistration): Value {
  return struct('*dependency.NomadService', {
    ID: r.ID,
    Name: r.ServiceName,
    Node: r.NodeID,
    Address: r.Address,
    Port: BigInt(r.Port),
    Datacenter: r.Datacenter,
    Tags: [...r.Tags].sort(),
    JobID: r.JobID,
    AllocID: r.AllocID,
  });
}

/**
 * `nomadService COUNT KEY "name"`: Nomad picks COUNT instances by rendezvous hashing on KEY, so
 * a job spreads over instances stably. drover ranks by sha256(KEY/ID); Nomad's own hash differs,
 * so the chosen subset is stable but not the same one Nomad would pick.
 */
function choose(regs: import('./context.js').ServiceRegistration[], count: bigint, key: string) {
  const score = (id: string): string => createHash('sha256').update(`${key}/${id}`).digest('hex');
  return [...regs].sort((a, b) => (score(a.ID) < score(b.ID) ? 1 : -1)).slice(0, Number(count));
}

function nomadService(args: Value[], e: FuncEnv): Value {
  let query: string;
  let pick:
    | ((
        r: import('./context.js').ServiceRegistration[],
      ) => import('./context.js').ServiceRegistration[])
    | undefined;
  if (args.length === 1) {
    if (typeof args[0] !== 'string') throw new Error('expected string for <service> argument');
    query = args[0];
  } else if (args.length === 3) {
    const count = args[0];
    if (typeof count !== 'bigint') throw new Error('expected integer for <count> argument');
    if (typeof args[1] !== 'string') throw new Error('expected string for <key> argument');
    if (typeof args[2] !== 'string') throw new Error('expected string for <service> argument');
    const key = args[1];
    query = args[2];
    pick = (r) => choose(r, count, key);
  } else {
    throw new Error('expected arguments <service> or <count> <key> <service>');
  }
  const m = SERVICE_QUERY.exec(query);
  if (!m) throw new Error(`nomad.service: invalid format: ${JSON.stringify(query)}`);
  const [, tag, name, region] = m;
  if (region)
    throw new Error(`nomadService: "@${region}": drover has one region; remove the region`);
  let regs = catalog(e, 'nomadService').instances(name!);
  if (tag) regs = regs.filter((r) => r.Tags.includes(tag));
  if (pick) regs = pick(regs);
  return regs.map(serviceValue);
}

function nomadServices(args: Value[], e: FuncEnv): Value {
  if (args.length > 0 && args.map((a) => str(a)).join('') !== '')
    throw new Error('nomadServices: a region or filter argument is not supported by drover');
  return catalog(e, 'nomadServices')
    .names()
    .map((s) =>
      struct('*dependency.NomadServicesSnippet', { Name: s.ServiceName, Tags: [...s.Tags].sort() }),
    );
}

function metaValue(m: VariableMeta): Value {
  return struct(
    '*dependency.NomadVarMeta',
    {
      Namespace: m.Namespace,
      Path: m.Path,
      CreateIndex: BigInt(m.CreateIndex),
      ModifyIndex: BigInt(m.ModifyIndex),
      CreateTime: BigInt(m.CreateTime),
      ModifyTime: BigInt(m.ModifyTime),
    },
    { string: () => m.Path },
  );
}

/** What `nomadVar` returns: the items as a map (`.user`), with consul-template's methods. */
function varItems(meta: VariableMeta, items: Readonly<Record<string, string>>): Value {
  const keys = Object.keys(items).sort();
  const parent = struct('*dependency.NomadVariable', {
    Namespace: meta.Namespace,
    Path: meta.Path,
    CreateIndex: BigInt(meta.CreateIndex),
    ModifyIndex: BigInt(meta.ModifyIndex),
    CreateTime: BigInt(meta.CreateTime),
    ModifyTime: BigInt(meta.ModifyTime),
  });
  const entries: Record<string, Value> = {};
  for (const k of keys) {
    const v = items[k]!;
    entries[k] = struct(
      'dependency.NomadVarItem',
      { Key: k, Value: v, Parent: parent },
      { string: () => v },
    );
  }
  return mapWithMethods('dependency.NomadVarItems', entries, {
    Keys: () => keys,
    Values: () => keys.map((k) => entries[k]!),
    Tuples: () => keys.map((k) => struct('struct { K string; V string }', { K: k, V: items[k]! })),
    Metadata: () => metaValue(meta),
    Parent: () => parent,
  });
}

function nomadVar(path: string, e: FuncEnv): Value {
  if (path === '') return null;
  const v = variables(e, 'nomadVar').get(path);
  if (!v)
    throw new Error(
      `no Variable at ${JSON.stringify(path)} (Nomad would wait for it; drover fails the render: create it with drover var put ${path} key=value)`,
    );
  return varItems(v.meta, v.items);
}

function nomadVarList(safe: boolean) {
  return (args: Value[], e: FuncEnv): Value => {
    if (args.length > 1)
      throw new Error(
        `nomadVarList takes either a single "prefix" parameter or none for all available variables; got: ${sprint([args])}`,
      );
    const prefix = args.length === 1 ? str(args[0]) : '';
    const list = variables(e, safe ? 'nomadVarListSafe' : 'nomadVarList').list(prefix);
    if (safe && list.length === 0)
      throw new Error(
        `no Variables under ${JSON.stringify(prefix)} (nomadVarListSafe waits for one in Nomad; drover fails the render)`,
      );
    return list.map(metaValue);
  };
}

export const NOMAD_FUNCTIONS: [string, TemplateFunc][] = [
  ['nomadService', fn(1, 3, nomadService)],
  ['nomadServices', fn(0, Infinity, nomadServices)],
  ['nomadVar', fn(1, 1, ([p], e) => nomadVar(str(p), e))],
  [
    'nomadVarExists',
    fn(1, 1, ([p], e) => {
      const path = str(p);
      return path !== '' && variables(e, 'nomadVarExists').get(path) !== undefined;
    }),
  ],
  ['nomadVarList', fn(0, Infinity, nomadVarList(false))],
  ['nomadVarListSafe', fn(0, Infinity, nomadVarList(true))],
];
