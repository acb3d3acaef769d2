import { describe, expect, it } from 'vitest';
import { canonicalJson, planHash, sealPlan, sha256Hex } from '../../src/plan/hash.js';
import { groupPlan, jobPlan, loadJob, plan } from './plan-builder.js';

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['scalars', [1, 'a', true, null, 1.5], '[1,"a",true,null,1.5]'],
    ['sorted keys, nested', { b: 1, a: { d: [], c: {} } }, '{"a":{"c":{},"d":[]},"b":1}'],
    ['undefined properties dropped', { a: undefined, b: 2 }, '{"b":2}'],
    ['undefined in arrays is null', [undefined], '[null]'],
    ['strings escaped as JSON', { 'k"': 'line\nbreak é' }, '{"k\\"":"line\\nbreak é"}'],
    ['keys by code unit', { b: 1, B: 2, a: 3, _: 4 }, '{"B":2,"_":4,"a":3,"b":1}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
    expect(JSON.parse(expected)).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it.each([NaN, Infinity])('refuses %s', (n) => {
    expect(() => canonicalJson({ n })).toThrow(/not JSON/);
  });
});

describe('planHash', () => {
  const base = () =>
    plan(
      [
        jobPlan({
          next: loadJob(
            'job "a" {\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "true"\n      }\n    }\n  }\n}\n',
          ),
          groups: [groupPlan('g', { counts: { create: 1 } })],
        }),
      ],
      { serial: 3 },
    );

  it('is sha256 of the canonical JSON of everything but the hash, the time and the author', () => {
    const p = base();
    const { hash, created_at: _t, ...rest } = p;
    expect(hash).toBe(`sha256:${sha256Hex(canonicalJson(rest))}`);
    expect(planHash(p)).toBe(hash);
    expect(planHash({ ...p, hash: 'sha256:' + '0'.repeat(64) })).toBe(hash);
  });

  it('does not depend on key order', () => {
    const p = base();
    const reordered = Object.fromEntries(Object.entries(p).reverse()) as typeof p;
    expect(planHash(reordered)).toBe(p.hash);
  });

  it.each<[string, (p: ReturnType<typeof base>) => void]>([
    ['the serial', (p) => void (p.state.serial = 4)],
    ['the lineage', (p) => void (p.state.lineage = 'other')],
    ['a count', (p) => void (p.jobs[0]!.groups[0]!.counts.create = 2)],
    ['the job source', (p) => void (p.jobs[0]!.payload!.source += ' ')],
  ])('changes with %s', (_name, mutate) => {
    const p = structuredClone(base());
    mutate(p);
    expect(planHash(p)).not.toBe(p.hash);
  });

  it('does not change with when the plan was made, nor who saved it (approvals keep to it)', () => {
    const p = base();
    expect(planHash({ ...p, created_at: '2026-01-02T00:00:00.000Z' })).toBe(p.hash);
    expect(planHash({ ...p, author: { actor: 'bob@ci', git_author: 'Bob <b@x>' } })).toBe(p.hash);
  });

  it('sealPlan puts the hash after the state, in the schema order', () => {
    const { hash: _h, ...rest } = base();
    expect(Object.keys(sealPlan(rest))).toEqual([
      'format_version',
      'drover_version',
      'created_at',
      'state',
      'hash',
      'changes',
      'retry_stops',
      'jobs',
      'warnings',
    ]);
  });
});
