/**
 * Golden plans: test/golden/<case>/{job.hcl, prior.hcl?} → plan.txt and plan.json.
 * `UPDATE_GOLDEN=1 npx vitest run test/plan` rewrites the expected files.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobPlan, PlanWarning } from '../../src/generated/plan.js';
import { parsePlanfile } from '../../src/plan/planfile.js';
import { checkPlanSchema, renderPlanJson } from '../../src/plan/render-json.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { LoadedJob } from '../../src/jobspec/load.js';
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

const GOLDEN = join(import.meta.dirname, '..', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const http = (value: number) => [{ label: 'http', value, to: 8080 }];
const UPDATING = 'alloc is being updated due to job update';
const NOT_NEEDED = 'alloc not needed due to job update';

interface Fixture {
  job: LoadedJob;
  prior?: LoadedJob;
}

/** Per case: the scheduler's decisions, written by hand, and the plan's state serial. */
const CASES: Record<
  string,
  (f: Fixture) => { jobs: JobPlan[]; serial: number; warnings?: PlanWarning[] }
> = {
  'new-job': ({ job }) => ({
    serial: 0,
    warnings: [
      {
        summary: 'Consul services are not registered',
        detail:
          'drover does not talk to Consul: the service "web" with provider = "consul" is\nchecked for health but not registered anywhere.',
        job: 'web',
        group: 'web',
      },
    ],
    jobs: [
      jobPlan({
        next: job,
        groups: [
          groupPlan('web', {
            counts: { create: 2 },
            placements: [0, 1].map((i) =>
              placement('web', 'web', i, { version: 0, ports: http(21000 + i) }),
            ),
          }),
        ],
      }),
    ],
  }),

  'count-up': ({ job, prior }) => ({
    serial: 4,
    jobs: [
      jobPlan({
        next: job,
        prior: prior!.job,
        priorVersion: 0,
        groups: [
          groupPlan('web', {
            counts: { create: 1, ignore: 2 },
            placements: [placement('web', 'web', 2, { version: 1, ports: http(21002) })],
          }),
        ],
      }),
    ],
  }),

  'count-down': ({ job, prior }) => ({
    serial: 4,
    jobs: [
      jobPlan({
        next: job,
        prior: prior!.job,
        priorVersion: 0,
        groups: [
          groupPlan('web', {
            counts: { destroy: 2, ignore: 1 },
            stops: [1, 2].map((i) => stop('web', 'web', i, 0, NOT_NEEDED)),
          }),
        ],
      }),
    ],
  }),

  'image-change': ({ job, prior }) => {
    const placements = [0, 1, 2].map((i) =>
      placement('web', 'web', i, {
        version: 3,
        ports: http(21010 + i),
        replaces: existing('web', 'web', i, 2),
      }),
    );
    const group = job.job.group[0]!;
    return {
      serial: 9,
      jobs: [
        jobPlan({
          next: job,
          prior: prior!.job,
          priorVersion: 2,
          groups: [
            groupPlan('web', {
              counts: { create_destroy_update: 3 },
              placements,
              stops: [0, 1, 2].map((i) => stop('web', 'web', i, 2, UPDATING)),
            }),
          ],
          rollout: rollout([
            groupRollout(
              group,
              placements.map((p) => ({ alloc: p.alloc_id, replaces: p.replaces! })),
            ),
          ]),
        }),
      ],
    };
  },

  'env-change': ({ job, prior }) => {
    const p = placement('api', 'api', 0, { version: 1, replaces: existing('api', 'api', 0, 0) });
    return {
      serial: 2,
      jobs: [
        jobPlan({
          next: job,
          prior: prior!.job,
          priorVersion: 0,
          groups: [
            groupPlan('api', {
              counts: { create_destroy_update: 1 },
              placements: [p],
              stops: [stop('api', 'api', 0, 0, UPDATING)],
            }),
          ],
          rollout: rollout([
            groupRollout(job.job.group[0]!, [{ alloc: p.alloc_id, replaces: p.replaces! }]),
          ]),
        }),
      ],
    };
  },

  'service-change': ({ job, prior }) => ({
    serial: 5,
    jobs: [
      jobPlan({
        next: job,
        prior: prior!.job,
        priorVersion: 1,
        groups: [
          groupPlan('web', {
            counts: { in_place_update: 2 },
            inplace: [existing('web', 'web', 0, 1), existing('web', 'web', 1, 1)],
          }),
        ],
      }),
    ],
  }),

  'job-stopped': ({ job }) => ({
    serial: 6,
    jobs: [
      jobPlan({
        prior: job.job,
        priorVersion: 3,
        groups: [
          groupPlan('web', {
            counts: { destroy: 2 },
            stops: [0, 1].map((i) =>
              stop('web', 'web', i, 3, 'alloc not needed as job is stopped'),
            ),
          }),
        ],
      }),
    ],
  }),

  'no-change': ({ job, prior }) => ({
    serial: 7,
    jobs: [
      jobPlan({
        next: job,
        prior: prior!.job,
        priorVersion: 1,
        groups: [groupPlan('web', { counts: { ignore: 2 } })],
      }),
    ],
  }),

  'placement-failure': ({ job }) => ({
    serial: 3,
    jobs: [
      jobPlan({
        next: job,
        groups: [
          groupPlan('db', {
            counts: { create: 2 },
            failures: {
              count: 2,
              reason:
                '2 nodes filtered by constraint ${attr.kernel.name} = linux, 1 node exhausted memory',
              metrics: {
                nodes_evaluated: 3,
                nodes_filtered: 2,
                nodes_exhausted: 1,
                constraint_filtered: { '${attr.kernel.name} = linux': 2 },
                dimension_exhausted: { memory: 1 },
              },
            },
          }),
        ],
      }),
    ],
  }),

  'canary-rollout': ({ job, prior }) => {
    // A canary takes the name of the allocation it will replace (Nomad's NextCanaries).
    const canary = placement('web', 'web', 0, {
      version: 1,
      canary: true,
      ports: http(21100),
      replaces: existing('web', 'web', 0, 0),
    });
    const rest = [1, 2].map((i) =>
      placement('web', 'web', i, {
        version: 1,
        ports: http(21100 + i),
        replaces: existing('web', 'web', i, 0),
      }),
    );
    return {
      serial: 12,
      jobs: [
        jobPlan({
          next: job,
          prior: prior!.job,
          priorVersion: 0,
          groups: [
            groupPlan('web', {
              counts: { canary: 1, create_destroy_update: 2 },
              placements: [canary, ...rest],
              stops: [0, 1, 2].map((i) => stop('web', 'web', i, 0, UPDATING)),
            }),
          ],
          rollout: rollout([
            groupRollout(
              job.job.group[0]!,
              rest.map((p) => ({ alloc: p.alloc_id, replaces: p.replaces! })),
              [{ alloc: canary.alloc_id, replaces: canary.replaces! }],
            ),
          ]),
        }),
      ],
    };
  },
};

function read(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function compare(dir: string, name: string, actual: string): void {
  const path = join(dir, name);
  if (UPDATE) {
    writeFileSync(path, actual);
    return;
  }
  const expected = read(dir, name);
  expect(
    expected,
    `${path} is missing; run UPDATE_GOLDEN=1 npx vitest run test/plan`,
  ).toBeDefined();
  expect(actual).toBe(expected);
}

describe('golden plans', () => {
  it('every case directory has a case in the table and the other way round', () => {
    const dirs = readdirSync(GOLDEN, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual(Object.keys(CASES).sort());
    expect(dirs.length).toBeGreaterThanOrEqual(8);
  });

  for (const [name, build] of Object.entries(CASES)) {
    it(name, () => {
      const dir = join(GOLDEN, name);
      const jobText = read(dir, 'job.hcl');
      expect(jobText, `${dir}/job.hcl`).toBeDefined();
      const priorText = read(dir, 'prior.hcl');
      const fixture: Fixture = {
        job: loadJob(jobText!, 'job.hcl'),
        ...(priorText !== undefined ? { prior: loadJob(priorText, 'prior.hcl') } : {}),
      };
      const { jobs, serial, warnings } = build(fixture);
      const p = plan(jobs, { serial, ...(warnings ? { warnings } : {}) });

      const json = renderPlanJson(p);
      const checked = checkPlanSchema(JSON.parse(json));
      expect('problems' in checked ? checked.problems : []).toEqual([]);
      // What plan -json prints is a valid planfile: it reads back with its hash intact.
      expect(parsePlanfile(json, 'plan.json')).toEqual({ plan: p });

      compare(dir, 'plan.txt', renderPlanText(p));
      compare(dir, 'plan.json', json);
    });
  }
});
