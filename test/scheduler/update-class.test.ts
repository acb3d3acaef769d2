import { describe, expect, it } from 'vitest';
import { compareGroup, deepEqual } from '../../src/scheduler/update-class.js';
import type { UpdateClass } from '../../src/scheduler/types.js';
import { simpleJob } from './fixtures.js';

const says = (verdict: UpdateClass) => () => verdict;

describe('compareGroup', () => {
  const base = simpleJob();

  it('asks the driver about each task and collects in-place tasks', () => {
    const calls: string[] = [];
    const r = compareGroup(base, simpleJob({ image: 'nginx:2' }), 'app', (g, p, n) => {
      calls.push(`${g}/${p.name}->${n.name}`);
      return 'in-place';
    });
    expect(calls).toEqual(['app/server->server']);
    expect(r).toEqual({ update: 'in-place', inPlaceTasks: ['server'] });
    expect(compareGroup(base, base, 'app', says('none'))).toEqual({
      update: 'in-place',
      inPlaceTasks: [],
    });
    expect(compareGroup(base, base, 'app', says('destructive')).because).toBe(
      'task "server": docker change',
    );
  });

  it.each([
    ['job meta', simpleJob({ job: 'meta {\n a = "1"\n}' }), 'task "server": meta'],
    ['task meta', simpleJob({ task: 'meta {\n a = "1"\n}' }), 'task "server": meta'],
    ['the driver', simpleJob({ driver: 'raw_exec' }), 'task "server": driver'],
    ['cpu', simpleJob({ cpu: 600 }), 'task "server": resources'],
    [
      'a static port',
      simpleJob({ group: 'network {\n port "http" {\n static = 80\n }\n}' }),
      'network',
    ],
    ['a job spread', simpleJob({ job: 'spread {\n attribute = "${meta.rack}"\n}' }), 'spreads'],
    [
      'a task affinity',
      simpleJob({ task: 'affinity {\n attribute = "${meta.rack}"\n value = "r1"\n}' }),
      'affinities',
    ],
    [
      'volumes',
      simpleJob({ group: 'volume "data" {\n type = "host"\n source = "data"\n}' }),
      'volumes',
    ],
    [
      'disabled logs',
      simpleJob({ task: 'logs {\n disabled = true\n}' }),
      'task "server": logs disabled',
    ],
  ])('%s forces a destructive update', (_what, next, because) => {
    expect(compareGroup(base, next, 'app', says('none'))).toMatchObject({
      update: 'destructive',
      because,
    });
  });

  it('ignores dynamic port values and key order', () => {
    const a = simpleJob({ group: 'network {\n port "http" {}\n port "grpc" {}\n}' });
    const b = simpleJob({ group: 'network {\n port "grpc" {}\n port "http" {}\n}' });
    expect(compareGroup(a, b, 'app', says('none')).update).toBe('in-place');
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(
      true,
    );
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
  });
});
