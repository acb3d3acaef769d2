import { describe, expect, it } from 'vitest';
import type { TaskObservation } from '../../src/jobspec/task-view.js';
import {
  compareTask,
  driftedAllocations,
  driftReason,
  redactFields,
  renderDriftText,
  type DriftReport,
  type TaskDrift,
} from '../../src/plan/drift.js';
import { reconcile } from '../../src/scheduler/reconcile.js';
import { replaceDrifted } from '../../src/scheduler/drift-replace.js';
import { foundProcess, nulList } from '../../providers/drivers/process-drift.js';
import { alloc, nodeSets, simpleJob } from '../scheduler/fixtures.js';

const ID = 'a'.repeat(64);

/** A container as applied, and found exactly so unless `found` says otherwise (null: gone). */
function container(
  found: Partial<NonNullable<TaskObservation['found']>> | null = {},
): TaskObservation {
  const applied = {
    id: ID,
    image: 'nginx:1.25',
    imageId: 'sha256:1',
    command: ['nginx', '-g', 'daemon off;'],
    env: { NOMAD_ALLOC_ID: 'x', GREETING: 'hello' },
    ports: ['80/tcp -> 127.0.0.1:20000'],
    mounts: ['/a/alloc:/alloc'],
    labels: { 'drover.job': 'web' },
    memory: 33554432,
    cpuShares: 100,
  };
  return {
    kind: 'container',
    applied,
    ...(found === null
      ? {}
      : {
          found: {
            ...applied,
            // From the image: neither added nor changed by hand.
            env: { ...applied.env, PATH: '/bin' },
            labels: { ...applied.labels, maintainer: 'nginx' },
            running: true,
            state: 'running',
            ...found,
          },
        }),
    inherited: { env: { PATH: '/bin' }, labels: { maintainer: 'nginx' } },
  };
}

describe('compareTask', () => {
  it('finds nothing when the container runs as applied (the image adds env and labels)', () => {
    expect(compareTask(container())).toEqual([]);
  });

  it('names each field changed by hand, with both values', () => {
    const fields = compareTask(
      container({
        image: 'nginx:1.27',
        imageId: 'sha256:2',
        command: ['sh'],
        ports: [],
        memory: 67108864,
      }),
    );
    expect(fields).toEqual([
      { field: 'image', applied: '"nginx:1.25"', found: '"nginx:1.27"' },
      {
        field: 'command',
        applied: '["nginx", "-g", "daemon off;"]',
        found: '["sh"]',
      },
      { field: 'ports', applied: '["80/tcp -> 127.0.0.1:20000"]', found: '[]' },
      { field: 'memory', applied: '33554432', found: '67108864' },
    ]);
  });

  it('reports the image id when the tag stayed but points elsewhere', () => {
    expect(compareTask(container({ imageId: 'sha256:2' }))).toEqual([
      { field: 'image id', applied: '"sha256:1"', found: '"sha256:2"' },
    ]);
  });

  it('reads an image without a tag as :latest', () => {
    const obs = container({ image: 'nginx:latest' });
    obs.applied.image = 'nginx';
    expect(compareTask(obs)).toEqual([]);
  });

  it('compares drover’s keys, and keys added beside them unless the image has them', () => {
    const fields = compareTask(
      container({
        env: { NOMAD_ALLOC_ID: 'x', PATH: '/usr/bin', DEBUG: '1' },
        labels: { 'drover.job': 'other', maintainer: 'nginx' },
      }),
    );
    expect(fields).toEqual([
      { field: 'env[DEBUG]', applied: '(unset)', found: '"1"' },
      { field: 'env[GREETING]', applied: '"hello"', found: '(unset)' },
      { field: 'env[PATH]', applied: '(unset)', found: '"/usr/bin"' },
      { field: 'labels[drover.job]', applied: '"web"', found: '"other"' },
    ]);
  });

  it('does not count extra keys when nothing says what the task inherits (processes)', () => {
    const obs: TaskObservation = {
      kind: 'process',
      applied: { command: ['sleep', '300'], env: { A: '1' } },
      found: {
        id: '42',
        running: true,
        state: 'running',
        command: ['sleep', '400'],
        env: { A: '1', HOME: '/root' },
      },
    };
    expect(compareTask(obs)).toEqual([
      { field: 'command', applied: '["sleep", "300"]', found: '["sleep", "400"]' },
    ]);
  });

  it('finds no drift in a process task its supervisor waits to restart, but a missing one is', () => {
    const applied = { command: ['/bin/app'], env: {} };
    expect(compareTask({ kind: 'process', applied, restarting: true })).toEqual([]);
    expect(compareTask({ kind: 'process', applied })).toEqual([
      { field: 'process', applied: 'running', found: 'missing' },
    ]);
  });

  it('says a container is missing, recreated, or not running', () => {
    expect(compareTask(container(null))).toEqual([
      { field: 'container', applied: 'running', found: 'missing' },
    ]);
    expect(compareTask(container({ id: 'b'.repeat(64) }))[0]).toEqual({
      field: 'container',
      applied: 'a'.repeat(12),
      found: 'b'.repeat(12),
    });
    expect(compareTask(container({ running: false, state: 'exited' }))).toEqual([
      { field: 'state', applied: 'running', found: 'exited' },
    ]);
  });
});

describe('driftReason', () => {
  it('words why a plan replaces the allocation', () => {
    const reason = (o: TaskObservation) => driftReason(o.kind, compareTask(o));
    expect(reason(container({ image: 'nginx:1.27' }))).toBe('image changed by hand');
    expect(reason(container({ image: 'x', env: { NOMAD_ALLOC_ID: 'y' } }))).toBe(
      'image, env changed by hand',
    );
    expect(reason(container(null))).toBe('container removed by hand');
    expect(reason(container({ id: 'b'.repeat(64), image: 'x' }))).toBe(
      'container recreated by hand; image changed by hand',
    );
    expect(reason(container({ running: false, state: 'exited' }))).toBe('container not running');
  });
});

describe('redactFields', () => {
  it('hides both sides of a field whose applied or found value is sensitive', () => {
    const fields = compareTask(container({ env: { NOMAD_ALLOC_ID: 'x', GREETING: 's3cret-new' } }));
    const out = redactFields(fields, (t) => t.includes('hello'));
    expect(out).toEqual([{ field: 'env[GREETING]', applied: '(sensitive)', found: '(sensitive)' }]);
  });
});

function drift(over: Partial<TaskDrift> = {}): TaskDrift {
  return {
    alloc_id: '1a2b3c4d-0000-4000-8000-000000000000',
    alloc_name: 'web.app[0]',
    job: 'web',
    group: 'app',
    task: 'web',
    node: 'n1',
    driver: 'docker',
    fields: [{ field: 'image', applied: '"nginx:1.25"', found: '"nginx:1.27"' }],
    reason: 'image changed by hand',
    ...over,
  };
}

describe('renderDriftText', () => {
  it('prints one line per field, the unchecked drivers, and a summary', () => {
    const report: DriftReport = {
      checked: 2,
      drifted: [drift()],
      unchecked: [
        {
          alloc_id: '9f9f9f9f-0000',
          alloc_name: 'w.m[0]',
          task: 'm',
          node: 'n2',
          why: 'drift not checked for driver mock',
        },
      ],
    };
    expect(renderDriftText(report)).toEqual([
      'Warning: drift not checked for driver mock (alloc 9f9f9f9f task m, node n2)',
      '~ alloc 1a2b3c4d task web (node n1): image: "nginx:1.25" => "nginx:1.27" (changed by hand)',
      '',
      'Drift: 1 of 2 tasks differs from what was applied (1 allocation); drover apply of the same jobspecs replaces it.',
    ]);
  });

  it('sums up a map whose keys differ in many places', () => {
    const fields = ['A', 'B', 'C', 'D'].map((k) => ({
      field: `env[${k}]`,
      applied: '"1"',
      found: '(unset)',
    }));
    const lines = renderDriftText({ checked: 1, drifted: [drift({ fields })], unchecked: [] });
    expect(lines[0]).toBe(
      '~ alloc 1a2b3c4d task web (node n1): env: 4 keys removed by hand: A, B, C, D',
    );
  });

  it('says when nothing drifted', () => {
    expect(renderDriftText({ checked: 3, drifted: [], unchecked: [] })).toEqual([
      'No drift: 3 of 3 tasks run as applied.',
    ]);
  });
});

describe('replaceDrifted', () => {
  it('turns a kept allocation that drifted into a replacement, with why', () => {
    const job = simpleJob({ count: 2 });
    const allocs = [alloc({ index: 0, id: 'a0' }), alloc({ index: 1, id: 'a1' })];
    const result = reconcile({
      jobId: 'web',
      job,
      version: 0,
      priorJob: () => job,
      allocations: allocs,
      nodes: nodeSets(),
      classify: () => 'none',
    });
    expect(result.groups[0]!.ignore.map((a) => a.id)).toEqual(['a0', 'a1']);
    const drifted = driftedAllocations({
      checked: 2,
      drifted: [drift({ alloc_id: 'a1' })],
      unchecked: [],
    });
    const g = replaceDrifted(result, drifted).groups[0]!;
    expect(g.ignore.map((a) => a.id)).toEqual(['a0']);
    expect(g.stop.map((s) => [s.alloc.id, s.reason, s.description])).toEqual([
      ['a1', 'destructive-update', 'drifted (image changed by hand)'],
    ]);
    expect(g.place.map((p) => [p.name, p.reason, p.replaces])).toEqual([
      ['web.app[1]', 'destructive', 'a1'],
    ]);
    expect(g.counts.create_destroy_update).toBe(1);
    expect(g.counts.ignore).toBe(1);
  });

  it('names each drifted task of an allocation', () => {
    const m = driftedAllocations({
      checked: 2,
      drifted: [drift({ alloc_id: 'a' }), drift({ alloc_id: 'a', task: 'side', reason: 'x' })],
      unchecked: [],
    });
    expect(m.get('a')).toBe('drifted (task web: image changed by hand; task side: x)');
  });
});

describe('process drift parsing', () => {
  const hex = (parts: string[]) => Buffer.from(parts.join('\0') + '\0').toString('hex');

  it('reads NUL-separated hex from od', () => {
    expect(
      nulList(`${hex(['sleep', '300']).slice(0, 6)} ${hex(['sleep', '300']).slice(6)}`),
    ).toEqual(['sleep', '300']);
  });

  it('reads the process found, a bare program name matching its resolved path', () => {
    const kv = new Map([
      ['drift.pid', '42'],
      ['drift.cmdline', hex(['/usr/bin/sleep', '300'])],
      ['drift.environ', hex(['A=1', 'B=x=y'])],
    ]);
    expect(foundProcess(kv, ['sleep', '300'])).toEqual({
      id: '42',
      running: true,
      state: 'running',
      command: ['sleep', '300'],
      env: { A: '1', B: 'x=y' },
    });
    expect(foundProcess(new Map([['drift.pid', '']]), ['sleep'])).toBeUndefined();
  });
});
