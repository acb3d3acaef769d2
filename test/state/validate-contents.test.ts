/**
 * A state file edited by hand is refused on read, naming the file and the JSON path, when the
 * edit breaks the schema or what the state stores (parseState); a consistent edit is read.
 * The fixture is a real state: one raw_exec job applied by `drover apply` on the local node.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- edits of a JSON document by hand, as a user makes them */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { driverConfigCheck } from '../../providers/config-validators.js';
import { parseState } from '../../src/state/validate.js';

const TEXT = readFileSync(new URL('./fixtures/raw-exec-state.json', import.meta.url), 'utf8');
type Doc = Record<string, any>;
const edited = (edit: (d: Doc) => void): string => {
  const d = JSON.parse(TEXT) as Doc;
  edit(d);
  return JSON.stringify(d);
};
const refusal = (text: string): string => {
  try {
    parseState(text, 'state file s.json', driverConfigCheck);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};
const job = (d: Doc) => d.jobs.handedit.versions[0];
const alloc = (d: Doc) => Object.values(d.allocations)[0] as Doc;

describe('hand edits of a state file', () => {
  it('reads the state as drover wrote it, and a consistent edit', () => {
    expect(refusal(TEXT)).toBe('accepted');
    expect(refusal(edited((d) => (d.events = d.events.slice(1))))).toBe('accepted');
  });

  it.each([
    [
      'a stored job field',
      (d: Doc) => (job(d).job.datacenters = [['dc1']]),
      '/jobs/handedit/versions/0/job/datacenters/0: must be string',
    ],
    [
      'a submitted job field',
      (d: Doc) => (job(d).submitted.group[0].name = [['app']]),
      '/jobs/handedit/versions/0/submitted/group/0/name',
    ],
    [
      'a task config',
      (d: Doc) => (job(d).job.group[0].task[0].config.args = 'not a list'),
      '/jobs/handedit/versions/0/job/group/0/task/0/config/args',
    ],
    [
      'a node inventory field',
      (d: Doc) => (d.nodes.local.inventory.alloc_root = [['/x']]),
      '/nodes/local/inventory/alloc_root',
    ],
    [
      'a driver handle field',
      (d: Doc) => (alloc(d).driver_handles.app.pid = '12 apples'),
      '/driver_handles/app/pid',
    ],
    [
      'versions out of order',
      (d: Doc) => d.jobs.handedit.versions.push({ ...job(d), version: 0 }),
      '/jobs/handedit/versions/1/version: 0 after version 0',
    ],
    [
      'an allocation of an unknown job',
      (d: Doc) => (alloc(d).job = 'nope'),
      '"nope" is not a job of this state',
    ],
    ['an allocation of an unknown version', (d: Doc) => (alloc(d).version = 7), 'has no version 7'],
  ])('refuses %s, naming the file and the path', (_what, edit, path) => {
    const message = refusal(edited(edit));
    expect(message).toContain('state file s.json');
    expect(message).toContain(path);
  });

  it('refuses a stored job nested deeper than the stack, without a crash', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const text = edited((d) => (job(d).submitted.meta = { x: 'DEEP' })).replace('"DEEP"', deep);
    expect(refusal(text)).toMatch(/state file s\.json .*(nested too deep|must be)/s);
  });
});
