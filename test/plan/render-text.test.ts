import { describe, expect, it } from 'vitest';
import type { JobPlan } from '../../src/generated/plan.js';
import { plainStyler } from '../../src/diag/render.js';
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

  it('shows a kept allocation\'s changed template and what apply does, never "No changes"', () => {
    const id = 'a0b1c2d3-0000-4000-8000-000000000000';
    const change = (mode: 'restart' | 'signal' | 'script' | 'noop', dest: string) => ({
      alloc_id: id,
      alloc_name: 'a.web[0]',
      node: 'n1',
      task: 'server',
      destination: dest,
      change_mode: mode,
      ...(mode === 'signal' ? { change_signal: 'SIGHUP' } : {}),
      splay_ms: 0,
    });
    const job: JobPlan = {
      ...unchanged('a'),
      templates: [
        change('restart', 'local/app.conf'),
        change('signal', 'local/b.conf'),
        change('script', 'local/c.conf'),
        change('noop', 'local/d.conf'),
      ],
    };
    const text = renderPlanText(plan([job, unchanged('b')]));
    expect(text).toContain(
      [
        '  ~ template "local/app.conf" (changes: restart task "server") in a0b1c2d3 a.web[0] on n1',
        '  ~ template "local/b.conf" (changes: signal SIGHUP to task "server") in a0b1c2d3 a.web[0] on n1',
        '  ~ template "local/c.conf" (changes: run the change script in task "server") in a0b1c2d3 a.web[0] on n1',
        '  ~ template "local/d.conf" (changes: none: the file only) in a0b1c2d3 a.web[0] on n1',
      ].join('\n'),
    );
    expect(text).toContain('Job: "a"');
    expect(text).not.toContain('Job: "b"');
    expect(text).not.toContain('No changes');
    expect(text).toContain('Plan: 4 templates to rewrite.\n');
  });

  it('expands added tasks and shows unchanged fields only when verbose', () => {
    const p = plan([created('web')]);
    expect(renderPlanText(p)).not.toContain('Image');
    const verbose = renderPlanText(p, { verbose: true });
    expect(verbose).toContain('    + Config {\n      + Image: "app:v1"\n    }\n');
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

  it('closes every nested block under the line that opened it, in every mode', () => {
    const nested = (v: string) =>
      loadJob(`job "web" {
  group "web" {
    service {
      name = "web"
      check {
        type     = "tcp"
        port     = 80
        interval = "${v === 'v1' ? '10s' : '5s'}"
        timeout  = "2s"
      }
      ${v === 'v1' ? '' : 'check {\n type = "http"\n port = 80\n path = "/"\n interval = "5s"\n timeout = "1s"\n }'}
    }
    task "server" {
      driver = "docker"
      resources {
        cpu    = 100
        memory = 64
      }
      config {
        image  = "app:${v}"
        labels { tier = "${v}" }
        mount {
          type   = "bind"
          source = "/srv"
          target = "/${v}"
        }
      }
    }
  }
}`);
    const p = plan([
      jobPlan({
        next: nested('v2'),
        prior: nested('v1').job,
        groups: [groupPlan('web', { counts: { create_destroy_update: 1 } })],
      }),
    ]);
    const column = (line: string): number => line.length - line.trimStart().length;
    for (const verbose of [false, true]) {
      const lines = renderPlanText(p, { verbose }).split('\n');
      const open: number[] = [];
      let blocks = 0;
      for (const line of lines) {
        if (/\{( \(.*\))?$/.test(line)) {
          open.push(column(line));
          blocks++;
        } else if (line.trim() === '}') {
          expect(column(line), `in:\n${lines.join('\n')}`).toBe(open.pop());
        } else if (open.length > 0 && line.trim()) {
          // Whatever a block holds sits right of its braces.
          expect(column(line)).toBeGreaterThan(open[open.length - 1]!);
        }
      }
      expect(open).toEqual([]);
      expect(blocks).toBe(4);
    }
    expect(renderPlanText(p)).toContain(
      [
        '    +/- Config {',
        '      +/- Image:            "app:v1" => "app:v2" (forces create/destroy update)',
        '      +/- Labels[0][tier]:  "v1" => "v2" (forces create/destroy update)',
        '      +/- Mount[0][target]: "/v1" => "/v2" (forces create/destroy update)',
        '    }',
      ].join('\n'),
    );
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

  it('shows the replacement of a lost allocation as a create, saying why it is gone', () => {
    const j = load({ count: 2 });
    const lost = existing('web', 'web', 0, 0);
    const job = jobPlan({
      next: j,
      prior: j.job,
      groups: [
        groupPlan('web', {
          counts: { create: 1, ignore: 1 },
          placements: [placement('web', 'web', 0, { version: 0, replaces: lost })],
          stops: [
            {
              ...stop(
                'web',
                'web',
                0,
                0,
                'alloc is lost: task "server" was stopped outside drover',
              ),
              client_status: 'lost',
            },
          ],
        }),
      ],
    });
    // As compute.ts plans an unchanged job: its diff is empty, groups included.
    const p = plan([
      { ...job, diff: { type: 'None', id: 'web', fields: [], objects: [], groups: [] } },
    ]);
    const text = renderPlanText(p);
    // The job did not change, but the group says what happens to it.
    expect(text).toContain('Job: "web"\nTask Group: "web" (1 create, 1 ignore)\n');
    expect(text).toMatch(
      new RegExp(
        `\\n {2}replace {2}\\w{8} {2}web\\.web\\[0] {2}on local {2}replaces ${lost.slice(0, 8)} \\(alloc is lost: task "server" was stopped outside drover\\)\\n`,
      ),
    );
    expect(text).toContain('Plan: 1 to create, 0 to update in place, 0 to replace, 0 to destroy.');
    // Coloured as a create, not as a replacement of something running.
    const colored = renderPlanText(p, {
      color: {
        ...plainStyler,
        added: (x) => `<add>${x}</add>`,
        edited: (x) => `<edit>${x}</edit>`,
      },
    });
    expect(colored).toContain('<add>replace</add>');
    expect(colored).not.toContain('<edit>replace');
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
        '    1. batch  stop old-a0-0, then start new-a0-0',
        '    2. gate   wait for min_healthy_time 10s',
        '  Task Group "b" (at least 15s):',
        '    1. batch    stop old-b0-0, then start new-b0-0',
        '    2. gate     wait for min_healthy_time 7s',
        '    3. stagger  wait for stagger 1s',
        '    4. batch    stop old-b1-0, then start new-b1-0',
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
