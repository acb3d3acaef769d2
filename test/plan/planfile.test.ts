import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/generated/plan.js';
import {
  checkPlanFresh,
  parsePlanfile,
  readPlanfile,
  writePlanfile,
} from '../../src/plan/planfile.js';
import { sealPlan } from '../../src/plan/hash.js';
import { groupPlan, jobPlan, LINEAGE, loadJob, placement, plan } from './plan-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-planfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sample(serial = 6): Plan {
  const job = loadJob(
    'job "web" {\n  group "web" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "sleep"\n      }\n    }\n  }\n}\n',
  );
  return plan(
    [
      jobPlan({
        next: job,
        groups: [
          groupPlan('web', {
            counts: { create: 1 },
            placements: [placement('web', 'web', 0, { version: 0 })],
          }),
        ],
      }),
    ],
    { serial },
  );
}

function errorOf(text: string) {
  const r = parsePlanfile(text, 'plan.out');
  if (!('error' in r)) throw new Error('expected an error');
  return r.error;
}

describe('planfiles', () => {
  it('write then read gives the same plan, in a file only its owner can read', () => {
    const path = join(dir, 'roundtrip.plan');
    const p = sample();
    writePlanfile(path, p);
    expect(readPlanfile(path)).toEqual({ plan: p });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a planfile re-indented by hand still verifies (the hash is over canonical JSON)', () => {
    const p = sample();
    expect(parsePlanfile(JSON.stringify(p), 'plan.out')).toEqual({ plan: p });
  });

  it('a missing file is a clear error', () => {
    const e = readPlanfile(join(dir, 'nope.plan'));
    expect('error' in e && e.error.summary).toBe('Cannot read planfile');
    expect('error' in e && e.error.detail).toMatch(/nope\.plan: ENOENT/);
  });

  it.each<[string, string, string, RegExp]>([
    [
      'not JSON',
      '{"format_version": 1,',
      'Invalid planfile',
      /plan\.out is not a drover planfile: it is not valid JSON \(/,
    ],
    ['not an object', '[1, 2]', 'Invalid planfile', /it is not a JSON object/],
    [
      'another format',
      '{"format_version": 1}',
      'Unsupported planfile format',
      /format_version 1; this drover reads format_version 2/,
    ],
    ['no format', '{}', 'Unsupported planfile format', /format_version null/],
  ])('%s', (_name, text, summary, detail) => {
    const e = errorOf(text);
    expect(e.severity).toBe('error');
    expect(e.summary).toBe(summary);
    expect(e.detail).toMatch(detail);
  });

  it('a schema violation names where it is', () => {
    const bad = JSON.parse(JSON.stringify(sample())) as Record<string, unknown> & Plan;
    (bad.jobs[0] as unknown as Record<string, unknown>).type = 'replace';
    (bad as Record<string, unknown>).extra = true;
    const e = errorOf(JSON.stringify(bad));
    expect(e.summary).toBe('Invalid planfile');
    expect(e.detail).toContain('plan.out does not match the plan schema:');
    expect(e.detail).toContain('  (root): must NOT have additional properties: "extra"');
    expect(e.detail).toContain(
      '  /jobs/0/type: must be equal to one of the allowed values: "create", "update", "destroy", "none"',
    );
  });

  it('a plan edited after it was written is refused by its hash', () => {
    const p = sample();
    const edited = { ...p, jobs: [{ ...p.jobs[0]!, type: 'destroy' as const }] };
    const e = errorOf(JSON.stringify(edited));
    expect(e.summary).toBe('Planfile has been modified');
    expect(e.detail).toContain(`records the hash ${p.hash}, but its content hashes to sha256:`);
    // Re-sealed, the same edit is a valid plan again.
    const { hash: _h, ...rest } = edited;
    expect('plan' in parsePlanfile(JSON.stringify(sealPlan(rest)), 'plan.out')).toBe(true);
  });

  it('a number too large for JSON (1e999 reads as Infinity) is refused, not thrown', () => {
    const text = JSON.stringify(sample());
    expect(text).toContain('"cores":0');
    const e = errorOf(text.replace('"cores":0', '"cores":1e999'));
    expect(e.summary).toBe('Invalid planfile');
    expect(e.detail).toContain('Infinity is not JSON');
  });

  it('leaves no temporary file behind', () => {
    const path = join(dir, 'clean.plan');
    writePlanfile(path, sample());
    writePlanfile(path, sample(7));
    const p = readPlanfile(path);
    expect('plan' in p && p.plan.state.serial).toBe(7);
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('checkPlanFresh', () => {
  it.each<[string, number, { lineage: string; serial: number }, string | undefined]>([
    ['the same state', 6, { lineage: LINEAGE, serial: 6 }, undefined],
    [
      'a state that moved on',
      6,
      { lineage: LINEAGE, serial: 7 },
      'plan is stale: state serial 7 ≠ plan serial 6',
    ],
    [
      'an older state',
      6,
      { lineage: LINEAGE, serial: 5 },
      'plan is stale: state serial 5 ≠ plan serial 6',
    ],
    [
      'another state',
      6,
      { lineage: 'b9d1e2f3-0000-4000-8000-000000000000', serial: 6 },
      `plan is stale: it was made for state lineage ${LINEAGE}, but the state is lineage b9d1e2f3-0000-4000-8000-000000000000`,
    ],
    ['a state never written, read again', 0, { lineage: 'fresh-lineage', serial: 0 }, undefined],
    [
      'a state written since',
      0,
      { lineage: 'fresh-lineage', serial: 1 },
      `plan is stale: it was made for state lineage ${LINEAGE}, but the state is lineage fresh-lineage`,
    ],
  ])('%s', (_name, planSerial, state, message) => {
    const r = checkPlanFresh(sample(planSerial), state);
    expect(r).toEqual(message === undefined ? { ok: true } : { ok: false, message });
  });

  // Each approval names the serial of its write, which recorded nothing else.
  const approved = (serial: number) => ({
    plan_hash: `sha256:${'a'.repeat(64)}`,
    approver: `person-${serial}`,
    time: '2026-01-01T00:00:00.000Z',
    serial,
  });

  it('is fresh when only approvals were written since the plan', () => {
    const state = { lineage: LINEAGE, serial: 8, approvals: [approved(7), approved(8)] };
    expect(checkPlanFresh(sample(6), state)).toEqual({ ok: true });
  });

  it('is stale when anything else was written since, before or after approvals', () => {
    const after = { lineage: LINEAGE, serial: 9, approvals: [approved(7), approved(8)] };
    expect(checkPlanFresh(sample(6), after)).toEqual({
      ok: false,
      message: 'plan is stale: state serial 9 ≠ plan serial 6',
    });
    const before = { lineage: LINEAGE, serial: 8, approvals: [approved(8)] };
    expect(checkPlanFresh(sample(6), before)).toEqual({
      ok: false,
      message: 'plan is stale: state serial 7 ≠ plan serial 6',
    });
  });
});
