import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createAjv } from '../../src/jobspec/validate.js';

type Schema = { [key: string]: unknown };

const schemaFile = fileURLToPath(new URL('../../schemas/config.schema.json', import.meta.url));
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Schema;
const defs = schema.$defs as Record<string, Schema>;

/** A property's own schema, or the definition its bare $ref names. */
function resolve(s: Schema): Schema {
  if (typeof s.$ref !== 'string') return s;
  const target = defs[s.$ref.replace('#/$defs/', '')];
  if (!target) throw new Error(`dangling ${s.$ref}`);
  return target;
}

function* properties(): Generator<[string, Schema]> {
  const objects: [string, Schema][] = [['(root)', schema], ...Object.entries(defs)];
  for (const [where, obj] of objects) {
    const props = (obj.properties ?? {}) as Record<string, Schema>;
    for (const [name, prop] of Object.entries(props)) yield [`${where}.${name}`, prop];
  }
}

describe('config schema', () => {
  it('compiles in Ajv strict mode with the x-block and x-label keywords', () => {
    expect(() => createAjv().compile(schema)).not.toThrow();
    expect(() => new Ajv2020({ strict: true }).compile(schema)).toThrow(/x-block/);
    expect(schema.$id).toBe('https://drover.dev/schemas/config.schema.json');
  });

  it.each([...properties()])('describes %s', (_where, prop) => {
    const description = resolve(prop).description;
    expect(typeof description).toBe('string');
    expect((description as string).length).toBeGreaterThan(10);
  });

  it('closes every object except meta', () => {
    const objects = [schema, ...Object.values(defs)].filter((s) => s.type === 'object');
    for (const o of objects) expect(o.additionalProperties).toBe(false);
    const node = defs.node!.properties as Record<string, Schema>;
    expect(node.meta!.additionalProperties).toEqual({ type: 'string' });
  });

  it('tells the decoder how each property is written', () => {
    const root = configSchema().rootBlock;
    const shape = (block: typeof root, name: string) => {
      const s = block.property(name);
      return s?.form === 'block' ? [s.form, s.kind, s.label] : [s?.form];
    };
    expect(shape(root, 'state')).toEqual(['block', 'single', undefined]);
    expect(shape(root, 'defaults')).toEqual(['block', 'single', undefined]);
    expect(shape(root, 'node')).toEqual(['block', 'list', 'name']);
    const node = root.property('node');
    if (node?.form !== 'block') throw new Error('node is a block');
    expect(shape(node.body, 'tls')).toEqual(['block', 'single', undefined]);
    expect(shape(node.body, 'reserved')).toEqual(['block', 'single', undefined]);
    expect(shape(node.body, 'meta')).toEqual(['block', 'map', undefined]);
    expect(shape(node.body, 'alloc_root')).toEqual(['attribute']);
    expect(shape(node.body, 'bastion')).toEqual(['attribute']);
  });

  it('accepts ProxyJump-style bastions and rejects URLs', () => {
    const validate = createAjv().compile(resolve({ $ref: '#/$defs/bastion' }));
    for (const ok of ['jump', 'ops@jump.example.com', 'jump:2222', 'ops@[fd00::1]:22'])
      expect([ok, validate(ok)]).toEqual([ok, true]);
    for (const bad of ['ssh://jump', 'a@b@c', 'jump host', ''])
      expect([bad, validate(bad)]).toEqual([bad, false]);
  });
});
