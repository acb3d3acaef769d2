import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { validJobs } from './jobs.fixture.js';

type Schema = { [key: string]: unknown };

const schemaFile = fileURLToPath(new URL('../../schemas/jobspec.schema.json', import.meta.url));
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Schema;
const defs = schema.$defs as Record<string, Schema>;

/** Ajv as drover's validator sets it up: strict, with the HCL annotation keywords registered. */
function makeAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, coerceTypes });
  ajv.addKeyword({ keyword: 'x-block', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-label', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-normalized', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-duration', schemaType: 'boolean' });
  return ajv;
}

const validate = makeAjv(true).compile(schema);

function errorsOf(data: unknown): ErrorObject[] {
  return validate(structuredClone(data)) ? [] : (validate.errors ?? []);
}

function resolve(s: Schema): Schema {
  if (typeof s.$ref !== 'string') return s;
  const name = s.$ref.replace('#/$defs/', '');
  const target = defs[name];
  if (!target) throw new Error(`dangling ${s.$ref}`);
  return target;
}

/** Every (path, property schema) pair of the schema, following $refs once per definition. */
function* properties(): Generator<[string, Schema, Schema]> {
  const objects: [string, Schema][] = [['(root)', schema], ...Object.entries(defs)];
  for (const [where, obj] of objects) {
    const props = (obj.properties ?? {}) as Record<string, Schema>;
    for (const [name, prop] of Object.entries(props)) yield [`${where}.${name}`, prop, obj];
  }
}

describe('jobspec schema', () => {
  it('compiles in Ajv strict mode with the x-block and x-label keywords', () => {
    expect(() => makeAjv(false).compile(schema)).not.toThrow();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('https://drover.dev/schemas/jobspec.schema.json');
  });

  it('rejects unknown keywords in strict mode (so the x- keywords must be registered)', () => {
    const bare = new Ajv2020({ strict: true, allowUnionTypes: true });
    expect(() => bare.compile(schema)).toThrow(/x-block/);
  });

  it.each(Object.entries(validJobs))('accepts the %s job', (_name, make) => {
    expect(errorsOf(make())).toEqual([]);
  });

  it('accepts numbers where HCL would convert them to strings (env, meta, ports)', () => {
    const job = {
      id: 'coerce',
      meta: { build: 42 },
      group: [
        {
          name: 'g',
          count: '2',
          service: [{ port: 8080 }],
          task: [{ name: 't', driver: 'docker', env: { PORT: 8080, DEBUG: true } }],
        },
      ],
    };
    expect(errorsOf(job)).toEqual([]);
  });

  it('accepts durations as Go strings or integer nanoseconds', () => {
    const task = (kill_timeout: unknown) => ({
      id: 'd',
      group: [{ name: 'g', task: [{ name: 't', driver: 'exec', kill_timeout }] }],
    });
    for (const ok of [
      '30s',
      '1h30m',
      '1.5h',
      '300ms',
      '2h45m10.5s',
      '0',
      '-1m',
      '10us',
      '10µs',
      5e9,
    ]) {
      expect(errorsOf(task(ok)), String(ok)).toEqual([]);
    }
    for (const bad of ['30', '30 s', '1d', 's', '', '1.5']) {
      expect(errorsOf(task(bad))[0]?.keyword, bad).toBe('pattern');
    }
  });

  const base = () => ({
    id: 'bad',
    group: [{ name: 'g', task: [{ name: 't', driver: 'docker' }] }],
  });
  type Mutate = (j: ReturnType<typeof base> & Record<string, unknown>) => void;
  const task = (j: ReturnType<typeof base>) => j.group[0]!.task[0]! as Record<string, unknown>;
  const group = (j: ReturnType<typeof base>) => j.group[0]! as Record<string, unknown>;

  const invalid: [string, Mutate, string, string][] = [
    ['an unknown job attribute', (j) => (j.foo = 1), 'additionalProperties', ''],
    ['an unknown job type', (j) => (j.type = 'daemon'), 'enum', '/type'],
    ['an empty job id', (j) => (j.id = ''), 'minLength', '/id'],
    ['a zero priority', (j) => (j.priority = 0), 'minimum', '/priority'],
    ['a negative count', (j) => (group(j).count = -1), 'minimum', '/group/0/count'],
    ['a task without a name', (j) => delete task(j).name, 'required', '/group/0/task/0'],
    [
      'a bad duration',
      (j) => (task(j).kill_timeout = '10 seconds'),
      'pattern',
      '/group/0/task/0/kill_timeout',
    ],
    [
      'an unknown health_check',
      (j) => (j.update = { health_check: 'http' }),
      'enum',
      '/update/health_check',
    ],
    [
      'a negative max_parallel',
      (j) => (j.update = { max_parallel: -1 }),
      'minimum',
      '/update/max_parallel',
    ],
    [
      'an unknown restart mode',
      (j) => (group(j).restart = { mode: 'retry' }),
      'enum',
      '/group/0/restart/mode',
    ],
    [
      'an unknown constraint operator',
      (j) => (j.constraint = [{ attribute: 'x', operator: '~=' }]),
      'enum',
      '/constraint/0/operator',
    ],
    [
      'an affinity weight over 100',
      (j) => (j.affinity = [{ attribute: 'x', value: 'y', weight: 200 }]),
      'maximum',
      '/affinity/0/weight',
    ],
    [
      'a static port over 65535',
      (j) => (group(j).network = [{ port: [{ label: 'p', static: 70000 }] }]),
      'maximum',
      '/group/0/network/0/port/0/static',
    ],
    [
      'a port mapped below -1',
      (j) => (group(j).network = [{ port: [{ label: 'p', to: -2 }] }]),
      'minimum',
      '/group/0/network/0/port/0/to',
    ],
    [
      'an unknown lifecycle hook',
      (j) => (task(j).lifecycle = { hook: 'prerun' }),
      'enum',
      '/group/0/task/0/lifecycle/hook',
    ],
    [
      'an unknown check type',
      (j) => (group(j).service = [{ check: [{ type: 'ttl' }] }]),
      'enum',
      '/group/0/service/0/check/0/type',
    ],
    [
      'an unknown service address_mode',
      (j) => (group(j).service = [{ address_mode: 'public' }]),
      'enum',
      '/group/0/service/0/address_mode',
    ],
    ['an object as a meta value', (j) => (j.meta = { k: { nested: 'x' } }), 'type', '/meta/k'],
    [
      'an unknown resources attribute',
      (j) => (task(j).resources = { gpu: 1 }),
      'additionalProperties',
      '/group/0/task/0/resources',
    ],
    [
      'a memory below zero',
      (j) => (task(j).resources = { memory: -5 }),
      'minimum',
      '/group/0/task/0/resources/memory',
    ],
    [
      'a group scaling without max',
      (j) => (group(j).scaling = { min: 1 }),
      'required',
      '/group/0/scaling',
    ],
    [
      'a task scaling that is not cpu or mem',
      (j) => (task(j).scaling = [{ name: 'disk' }]),
      'pattern',
      '/group/0/task/0/scaling/0/name',
    ],
    [
      'an unknown template change_mode',
      (j) => (task(j).template = [{ change_mode: 'reload' }]),
      'enum',
      '/group/0/task/0/template/0/change_mode',
    ],
    [
      'an unknown artifact mode',
      (j) => (task(j).artifact = [{ source: 's', mode: 'archive' }]),
      'enum',
      '/group/0/task/0/artifact/0/mode',
    ],
    [
      'an unknown volume type',
      (j) => (group(j).volume = [{ name: 'v', type: 'nfs' }]),
      'enum',
      '/group/0/volume/0/type',
    ],
    [
      'an action without a command',
      (j) => (task(j).action = [{ name: 'a' }]),
      'required',
      '/group/0/task/0/action/0',
    ],
    [
      'a block as a list where one is expected',
      (j) => (j.update = [{ canary: 1 }]),
      'type',
      '/update',
    ],
    [
      'an unknown payload requirement',
      (j) => (j.parameterized = { payload: 'maybe' }),
      'enum',
      '/parameterized/payload',
    ],
    [
      'a spread target over 100%',
      (j) => (j.spread = [{ attribute: 'a', target: [{ value: 'x', percent: 120 }] }]),
      'maximum',
      '/spread/0/target/0/percent',
    ],
  ];

  it.each(invalid)('rejects %s', (_what, mutate, keyword, instancePath) => {
    const job = base() as ReturnType<typeof base> & Record<string, unknown>;
    mutate(job);
    const errors = errorsOf(job);
    expect(errors.map((e) => [e.keyword, e.instancePath])).toContainEqual([keyword, instancePath]);
  });
});

describe('jobspec schema annotations', () => {
  const kinds = new Set(['single', 'list', 'map', 'freeform']);

  it('describes every property', () => {
    const missing = [...properties()]
      .filter(([, prop]) => typeof resolve(prop).description !== 'string')
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('closes every object except map and freeform blocks', () => {
    const open: string[] = [];
    const objects: [string, Schema][] = [['(root)', schema], ...Object.entries(defs)];
    for (const [name, obj] of objects) {
      if (obj.properties && obj.additionalProperties !== false) open.push(name);
    }
    for (const [path, prop] of properties()) {
      const s = resolve(prop);
      if (
        s.type === 'object' &&
        !s.properties &&
        s['x-block'] !== 'map' &&
        s['x-block'] !== 'freeform'
      ) {
        // The one attribute that holds an object of strings (CNI arguments).
        if (path !== 'cni.args') open.push(path);
      }
    }
    expect(open).toEqual([]);
  });

  it('marks blocks with a known kind, lists on arrays and single blocks on definitions', () => {
    for (const [path, prop] of properties()) {
      const s = resolve(prop);
      const kind = s['x-block'];
      if (kind === undefined) continue;
      expect(kinds.has(kind as string), path).toBe(true);
      if (kind === 'list') {
        expect(s.type, path).toBe('array');
        expect(prop.$ref, path).toBeUndefined();
        expect((s.items as Schema).$ref, path).toMatch(/^#\/\$defs\//);
      }
      if (kind === 'single') {
        // A bare $ref: the annotation and description live on the definition. (The one thing
        // beside it may be how the normalized job treats this use of the block.)
        expect(
          Object.keys(prop).filter((k) => k !== 'x-normalized'),
          path,
        ).toEqual(['$ref']);
      }
    }
  });

  it('names, with x-label, a required string property of the labelled block', () => {
    let labelled = 0;
    for (const [path, prop] of properties()) {
      const label = prop['x-label'];
      if (label === undefined) continue;
      labelled++;
      const item = resolve(prop.items as Schema);
      const props = item.properties as Record<string, Schema>;
      expect(props[label as string]?.type, path).toBe('string');
      expect(item.required, path).toContain(label);
    }
    expect(schema['x-label']).toBe('id');
    // group, task (twice), port, reserved_ports, target, device, volume, scaling, secret,
    // action, region.
    expect(labelled).toBe(12);
  });

  it('documents the annotation convention in $comment', () => {
    expect(schema.$comment).toMatch(/x-block/);
    expect(schema.$comment).toMatch(/x-label/);
  });
});
