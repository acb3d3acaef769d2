import { describe, expect, it } from 'vitest';
import type { JobPlan } from '../../src/generated/plan.js';
import { renderPlanText, type PlanStyler } from '../../src/plan/render-text.js';
import {
  existing,
  groupPlan,
  groupRollout,
  jobPlan,
  loadJob,
  placement,
  plan,
  rollout,
  stop,
} from './plan-builder.js';

const source = (opts: { id?: string; count?: number; image?: string; type?: string } = {}) => `
job "${opts.id ?? 'web'}" {
  type = "${opts.type ?? 'service'}"
  group "web" {
    count = ${opts.count ?? 2}
    task "server" {
      driver = "docker"
      config {
        image = "${opts.image ?? 'app:v1'}"
      }
    }
  }
}`;

const load = (opts: Parameters<typeof source>[0] = {}) => loadJob(source(opts));

function unchanged(id: string): JobPlan {
  const j = load({ id });
  return jobPlan({
    next: j,
    prior: j.job,
    groups: [groupPlan('web', { counts: { ignore: 2 } })],
  });
}

function created(id: string): JobPlan {
  return jobPlan({
    next: load({ id }),
    groups: [
      groupPlan('web', {
        counts: { create: 2 },
        placements: [0, 1].map((i) => placement(id, 'web', i, { version: 0 })),
      }),
    ],
  });
}

describe('renderPlanText', () => {
  it('hides unchanged jobs unless verbose, and counts them', () => {
    const p = plan([unchanged('a'), created('b'), unchanged('c')]);
    const text = renderPlanText(p);
    expect(text).not.toContain('Job: "a"');
    expect(text).toContain('+ Job: "b"');
    expect(text).toContain(
      'Plan: 2 to create, 0 to update in place, 0 to replace, 0 to destroy.\n',
    );
    expect(text).toContain('\n2 jobs unchanged.\n');
    const verbose = renderPlanText(p, { verbose: true });
    expect(verbose).toContain('Job: "a"\nTask Group: "web" (2 ignore)\n  Task: "server"\n');
  });

  it('says there is nothing to do when no job changes', () => {
    expect(renderPlanText(plan([unchanged('a'), unchanged('b')]))).toBe(
      `No changes. 2 jobs are up to date.\nPlan hash: ${plan([unchanged('a'), unchanged('b')]).hash}\n`,
    );
  });

  it('expands added tasks and shows unchanged fields only when verbose', () => {
    const p = plan([created('web')]);
    expect(renderPlanText(p)).not.toContain('Image');
    const verbose = renderPlanText(p, { verbose: true });
    expect(verbose).toContain('    + Config {\n      + Image: "app:v1"\n      }\n');
    const edit = plan([
      jobPlan({
        next: load({ image: 'app:v2' }),
        prior: load().job,
        groups: [groupPlan('web', { counts: { create_destroy_update: 2 } })],
      }),
    ]);
    expect(renderPlanText(edit)).not.toContain('Driver:');
    expect(renderPlanText(edit, { verbose: true })).toContain('        Driver:      "docker"\n');
  });

  it('orders jobs by id and allocations by index, whatever order they come in', () => {
    const a = created('a');
    const b = created('b');
    const reversed = {
      ...b,
      groups: b.groups.map((g) => ({ ...g, placements: [...g.placements].reverse() })),
    };
    const p1 = plan([a, b]);
    const p2 = { ...plan([b, a]), jobs: [reversed, a] };
    expect(renderPlanText(p2)).toBe(renderPlanText(p1));
    const text = renderPlanText(p1);
    expect(text.indexOf('Job: "a"')).toBeLessThan(text.indexOf('Job: "b"'));
    expect(text.indexOf('b.web[0]')).toBeLessThan(text.indexOf('b.web[1]'));
  });

  it('words a failed system job as Nomad does', () => {
    const p = plan([
      jobPlan({
        next: load({ type: 'system', count: 1 }),
        groups: [
          groupPlan('web', {
            counts: { create: 1 },
            failures: {
              count: 1,
              reason: 'missing driver "docker" on 1 node',
              metrics: {
                nodes_evaluated: 1,
                nodes_filtered: 1,
                nodes_exhausted: 0,
                constraint_filtered: { 'missing driver "docker"': 1 },
                dimension_exhausted: {},
              },
            },
          }),
        ],
      }),
    ]);
    expect(renderPlanText(p)).toContain(
      [
        'Scheduler dry-run:',
        '- WARNING: Failed to place allocations on all nodes.',
        '  Task Group "web" (failed to place 1 allocation):',
        '    missing driver "docker" on 1 node',
        '    * Constraint "missing driver \\"docker\\"": 1 node excluded by filter',
      ].join('\n'),
    );
  });

  it('prints each allocation once: a stop that a placement replaces goes on its line', () => {
    const p = plan([
      jobPlan({
        next: load({ image: 'app:v2', count: 1 }),
        prior: load({ count: 2 }).job,
        groups: [
          groupPlan('web', {
            counts: { create_destroy_update: 1, destroy: 1 },
            placements: [
              placement('web', 'web', 0, { version: 1, replaces: existing('web', 'web', 0, 0) }),
            ],
            stops: [
              stop('web', 'web', 0, 0, 'alloc is being updated due to job update'),
              stop('web', 'web', 1, 0, 'alloc not needed due to job update'),
            ],
          }),
        ],
      }),
    ]);
    const lines = renderPlanText(p).split('\n');
    const allocs = lines.slice(
      lines.indexOf('Allocations:') + 1,
      lines.indexOf('', lines.indexOf('Allocations:')),
    );
    expect(allocs).toHaveLength(2);
    expect(allocs[0]).toMatch(
      /^ {2}replace {2}\w{8} {2}web\.web\[0] {2}on local {2}replaces \w{8}$/,
    );
    expect(allocs[1]).toMatch(/^ {2}stop {5}\w{8} {2}web\.web\[1] {2}on local {2}alloc not needed/);
    expect(lines).toContain('Plan: 0 to create, 0 to update in place, 1 to replace, 1 to destroy.');
  });

  it('gives the least time of each group when several roll out side by side', () => {
    const next = loadJob(`job "two" {
  group "a" {
    count = 1
    task "t" {
      driver = "docker"
      config {
        image = "x:2"
      }
    }
  }
  group "b" {
    count = 2
    update {
      max_parallel = 1
      min_healthy_time = "7s"
      stagger = "1s"
    }
    task "t" {
      driver = "docker"
      config {
        image = "x:2"
      }
    }
  }
}`);
    const groupOf = (name: string) => next.job.group.find((g) => g.name === name)!;
    const swap = (g: string, i: number) => ({
      alloc: `new-${g}${i}-0000`,
      replaces: `old-${g}${i}-0000`,
    });
    const p = plan([
      jobPlan({
        next,
        groups: [
          groupPlan('a', { counts: { create: 1 } }),
          groupPlan('b', { counts: { create: 2 } }),
        ],
        rollout: rollout([
          groupRollout(groupOf('a'), [swap('a', 0)]),
          groupRollout(groupOf('b'), [swap('b', 0), swap('b', 1)]),
        ]),
      }),
    ]);
    expect(renderPlanText(p)).toContain(
      [
        'Rollout (at least 15s):',
        '  Task Group "a" (at least 10s):',
        '    1. batch  start new-a0-0; stop old-a0-0',
        '    2. gate   wait for min_healthy_time 10s',
        '  Task Group "b" (at least 15s):',
        '    1. batch    start new-b0-0; stop old-b0-0',
        '    2. gate     wait for min_healthy_time 7s',
        '    3. stagger  wait for stagger 1s',
        '    4. batch    start new-b1-0; stop old-b1-0',
        '    5. gate     wait for min_healthy_time 7s',
      ].join('\n'),
    );
  });

  it('colours markers, counts and annotations with the styler it is given', () => {
    const tag =
      (name: string) =>
      (s: string): string =>
        `<${name}>${s}</${name}>`;
    const styler: PlanStyler = {
      error: tag('err'),
      warning: tag('warn'),
      bold: (s) => s,
      dim: (s) => s,
      added: tag('add'),
      deleted: tag('del'),
      edited: tag('edit'),
      inPlace: tag('cyan'),
    };
    const p = plan([
      jobPlan({
        next: load({ image: 'app:v2', count: 3 }),
        prior: load().job,
        groups: [groupPlan('web', { counts: { create: 1, create_destroy_update: 2 } })],
      }),
    ]);
    const text = renderPlanText(p, { color: styler });
    expect(text).toContain('<edit>+/-</edit> Job: "web"');
    expect(text).toContain('(<add>1 create</add>, <edit>2 create/destroy update</edit>)');
    expect(text).toContain('Count: "2" => "3" (<add>forces create</add>)');
    // Without its extra colours, a plain diagnostics styler still works.
    const plain = renderPlanText(p, {
      color: { error: tag('err'), warning: tag('warn'), bold: (s) => s, dim: (s) => s },
    });
    expect(plain).toContain('<warn>+/-</warn> Job: "web"');
    expect(plain).toContain('(forces create)');
  });
});
