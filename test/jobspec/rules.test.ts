import { describe, expect, it } from 'vitest';
import { Diagnostics, type Diagnostic } from '../../src/diag/diagnostic.js';
import type { SourceRange } from '../../src/diag/range.js';
import type { Constraint, Group, Job, Task } from '../../src/generated/jobspec.js';
import { applyDefaults } from '../../src/jobspec/defaults.js';
import { RangeIndex } from '../../src/jobspec/ranges.js';
import {
  checkRules,
  cronProblem,
  regexpProblem,
  versionConstraintProblem,
} from '../../src/jobspec/rules.js';
import { validJobs } from './jobs.fixture.js';

const FILE = 'job.hcl';
const NOT_RUN = 'Stanza not run by drover';

function span(line: number, column: number, length: number): SourceRange {
  const byte = line * 1000 + column;
  return {
    filename: FILE,
    start: { line, column, byte },
    end: { line, column: column + length, byte: byte + length },
  };
}

/**
 * A hand-made range index, as the decoder would fill it: blocks have their type and labels
 * at column 3 of their line; attributes have their name at column 5 and their value at column 20.
 */
function index(blocks: Record<string, number>, attrs: Record<string, number> = {}): RangeIndex {
  const ranges = new RangeIndex(span(1, 1, 0));
  for (const [ptr, line] of Object.entries(blocks)) {
    ranges.set(ptr, { range: span(line, 3, 40), nameRange: span(line, 3, 12) });
  }
  for (const [ptr, line] of Object.entries(attrs)) {
    ranges.set(ptr, {
      range: span(line, 5, 30),
      nameRange: span(line, 5, 8),
      valueRange: span(line, 20, 10),
    });
  }
  return ranges;
}

/** Runs the rules as the pipeline does: on the job with Nomad's defaults filled in. */
function run(job: Job, ranges: RangeIndex = index({ '': 1 })): Diagnostic[] {
  const diags = new Diagnostics();
  checkRules(applyDefaults(job), ranges, diags);
  return diags.items;
}

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');
const refusals = (ds: Diagnostic[]) => ds.filter((d) => d.refusedByPlan === true);
const where = (d: Diagnostic | undefined) => d && [d.range?.start.line, d.range?.start.column];
const summaries = (ds: Diagnostic[]) => ds.map((d) => d.summary);

const job = (
  group: Partial<Group> = {},
  task: Partial<Task> = {},
  top: Partial<Job> = {},
): Job => ({
  id: 'example',
  ...top,
  group: [{ name: 'g', task: [{ name: 't', driver: 'docker', ...task }], ...group }],
});

describe('checkRules on valid jobs', () => {
  it.each(Object.entries(validJobs))('finds no error in the %s job', (_name, make) => {
    // Nomad accepts them all; drover's own refusals (vault, connect, …) are not Nomad's rules.
    const nomadErrors = errors(run(make())).filter((d) => !d.summary.endsWith('not run by drover'));
    expect(nomadErrors).toEqual([]);
  });

  it('finds nothing at all in a plain web service', () => {
    expect(run(validJobs.webService!())).toEqual([]);
  });
});

describe('values that reach a task environment', () => {
  it('refuses NUL in an env value and in a meta value (plan refuses, validate warns), at the value', () => {
    const j = job({}, { env: { A: 'x\u0000y', B: 'fine' }, meta: { k: 'v\u0000' } });
    const ds = refusals(
      run(
        j,
        index(
          { '/group/0/task/0': 3 },
          { '/group/0/task/0/env/A': 5, '/group/0/task/0/meta/k': 8 },
        ),
      ),
    );
    expect(summaries(ds)).toEqual(['Invalid value', 'Invalid value']);
    expect(ds.map(where)).toEqual([
      [5, 20],
      [8, 20],
    ]);
    expect(ds[0]!.detail).toBe('An environment variable cannot contain a NUL character.');
  });
});

describe('names', () => {
  it('reports a duplicate group at its block, naming the first one’s line', () => {
    const j: Job = {
      id: 'x',
      group: ['web', 'db', 'web'].map((name) => ({ name, task: [{ name: 't', driver: 'exec' }] })),
    };
    const ds = errors(run(j, index({ '': 1, '/group/0': 2, '/group/1': 10, '/group/2': 20 })));
    expect(ds).toHaveLength(1);
    expect(ds[0]!.summary).toBe('Duplicate group "web"');
    expect(where(ds[0])).toEqual([20, 3]);
    expect(ds[0]!.detail).toContain('line 2');
  });

  it('reports a duplicate task in a group', () => {
    const j = job({
      task: [
        { name: 'a', driver: 'exec' },
        { name: 'a', driver: 'exec' },
      ],
    });
    const ds = errors(run(j, index({ '/group/0': 2, '/group/0/task/0': 3, '/group/0/task/1': 8 })));
    expect(summaries(ds)).toEqual(['Duplicate task "a"']);
    expect(where(ds[0])).toEqual([8, 3]);
    expect(ds[0]!.detail).toContain('line 3');
  });

  it('allows the same task name in different groups', () => {
    const j: Job = {
      id: 'x',
      group: ['a', 'b'].map((name) => ({ name, task: [{ name: 'app', driver: 'exec' }] })),
    };
    expect(errors(run(j))).toEqual([]);
  });

  it('reports a task without a driver at the task block', () => {
    const j = job({}, { driver: undefined });
    delete j.group![0]!.task![0]!.driver;
    const ds = errors(run(j, index({ '/group/0': 2, '/group/0/task/0': 5 })));
    expect(summaries(ds)).toEqual(['Missing task driver']);
    expect(where(ds[0])).toEqual([5, 3]);
  });

  it('reports a group without tasks, unless it is a Connect gateway', () => {
    const empty: Job = { id: 'x', group: [{ name: 'g' }] };
    expect(summaries(errors(run(empty)))).toEqual(['Missing tasks for task group']);
    const gw: Job = {
      id: 'x',
      group: [{ name: 'g', service: [{ name: 'gw', connect: { gateway: [{}] } }] }],
    };
    // Only drover's own refusal of connect, not a missing task.
    expect(summaries(errors(run(gw)))).toEqual([]);
    expect(summaries(refusals(run(gw)))).toEqual(['connect is not run by drover']);
  });
});

describe('ports', () => {
  const net = { network: [{ port: [{ label: 'http' }, { label: 'admin', static: 9000 }] }] };

  it('reports a task service port that the group network does not define', () => {
    const j = job(net, { service: [{ name: 'web', port: 'htp' }] });
    const ds = errors(run(j, index({}, { '/group/0/task/0/service/0/port': 7 })));
    expect(summaries(ds)).toEqual(['Unknown port "htp"']);
    expect(where(ds[0])).toEqual([7, 20]);
    expect(ds[0]!.detail).toContain('"http", "admin"');
  });

  it('warns about an unknown group service port, which Nomad does not check', () => {
    const j = job({ ...net, service: [{ name: 'web', port: 'htp' }] });
    const ds = run(j, index({}, { '/group/0/service/0/port': 7 }));
    expect(errors(ds)).toEqual([]);
    expect(ds.map((d) => [d.severity, d.summary, ...where(d)!])).toEqual([
      ['warning', 'Unknown port "htp"', 7, 20],
    ]);
  });

  it('reports an unknown check port of a task service', () => {
    const j = job(net, {
      service: [
        {
          name: 'web',
          port: 'http',
          check: [{ type: 'tcp', port: 'health', interval: '10s', timeout: '2s' }],
        },
      ],
    });
    const ds = errors(run(j, index({}, { '/group/0/task/0/service/0/check/0/port': 12 })));
    expect(summaries(ds)).toEqual(['Unknown port "health"']);
    expect(where(ds[0])).toEqual([12, 20]);
  });

  it('warns about docker ports that are not in the group network (the driver fails then)', () => {
    const j = job(net, { config: { image: 'x', ports: ['http', 'grpc'] } });
    const ds = run(j, index({}, { '/group/0/task/0/config/ports/1': 9 }));
    expect(errors(ds)).toEqual([]);
    expect(ds.map((d) => [d.severity, d.summary, ...where(d)!])).toEqual([
      ['warning', 'Unknown port "grpc"', 9, 20],
    ]);
  });

  it('accepts ports of a legacy task-level network', () => {
    const j = job(
      {},
      {
        resources: { network: [{ port: [{ label: 'db' }] }] },
        service: [{ name: 'db', port: 'db' }],
        config: { ports: ['db'] },
      },
    );
    expect(errors(run(j))).toEqual([]);
  });

  it('allows numeric task service ports only with address_mode "driver"', () => {
    expect(summaries(errors(run(job({}, { service: [{ name: 's', port: '8080' }] }))))).toEqual([
      'Port 8080 is a number, not a port label',
    ]);
    expect(
      errors(run(job({}, { service: [{ name: 's', port: '8080', address_mode: 'driver' }] }))),
    ).toEqual([]);
  });

  it('reports a task service check without any port', () => {
    const j = job(
      {},
      {
        service: [
          { name: 's', check: [{ type: 'http', path: '/', interval: '5s', timeout: '1s' }] },
        ],
      },
    );
    expect(summaries(errors(run(j)))).toEqual(['check of service "s" is missing a port']);
  });

  it('reports duplicate port labels and static ports', () => {
    const j = job({
      network: [{ port: [{ label: 'a', static: 80 }, { label: 'a' }, { label: 'b', static: 80 }] }],
    });
    const ds = errors(
      run(
        j,
        index(
          { '/group/0/network/0/port/0': 3, '/group/0/network/0/port/1': 4 },
          { '/group/0/network/0/port/2/static': 5 },
        ),
      ),
    );
    expect(summaries(ds)).toEqual([
      'Port label a already in use',
      'Static port 80 already reserved',
    ]);
    expect(ds.map(where)).toEqual([
      [4, 3],
      [5, 20],
    ]);
  });
});

describe('durations', () => {
  it('reports an unparseable duration at its value with Go’s reason', () => {
    const ds = errors(
      run(job({}, { kill_timeout: '5 parsecs' }), index({}, { '/group/0/task/0/kill_timeout': 6 })),
    );
    expect(summaries(ds)).toEqual(['Invalid duration']);
    expect(where(ds[0])).toEqual([6, 20]);
    expect(ds[0]!.detail).toContain('time: unknown unit " parsecs" in duration "5 parsecs"');
  });

  it('reports negative durations', () => {
    const ds = errors(run(job({ shutdown_delay: '-1s' }, { kill_timeout: -5 })));
    expect(summaries(ds).sort()).toEqual([
      'kill_timeout must not be negative',
      'shutdown_delay must not be negative',
    ]);
  });
});

describe('resources', () => {
  it.each([
    [{ memory: 5 }, 'minimum MemoryMB value is 10; got 5', '/memory'],
    [{ cpu: 0 }, 'minimum CPU value is 1; got 0', '/cpu'],
    [
      { cpu: 100, cores: 2 },
      "Task can only ask for 'cpu' or 'cores' resource, not both.",
      '/cores',
    ],
    [
      { memory: 512, memory_max: 256 },
      'MemoryMaxMB value (256) should be larger than MemoryMB value (512)',
      '/memory_max',
    ],
  ])('reports %j', (resources, summary, attr) => {
    const ptr = `/group/0/task/0/resources${attr}`;
    const ds = errors(run(job({}, { resources }), index({}, { [ptr]: 11 })));
    expect(summaries(ds)).toEqual([summary]);
    expect(where(ds[0])).toEqual([11, 20]);
  });

  it('accepts memory_max = -1 (no hard limit) and 0 (unset), as Nomad does', () => {
    for (const memory_max of [-1, 0]) {
      expect(errors(run(job({}, { resources: { memory: 512, memory_max } })))).toEqual([]);
    }
  });

  it('accepts cores alone and the minimums themselves', () => {
    expect(errors(run(job({}, { resources: { cores: 1 } })))).toEqual([]);
    expect(errors(run(job({}, { resources: { cpu: 1, memory: 10 } })))).toEqual([]);
  });

  it('warns that disk in task resources is ignored', () => {
    const ds = run(job({}, { resources: { disk: 500 } }));
    expect(ds.map((d) => [d.severity, d.summary])).toEqual([
      ['warning', 'disk in task resources is ignored'],
    ]);
  });

  it('reports logs that do not fit in the ephemeral disk', () => {
    const ds = errors(run(job({ ephemeral_disk: { size: 50 } })));
    expect(summaries(ds)).toEqual([
      'log storage (100 MB) must be less than requested disk capacity (50 MB)',
    ]);
  });
});

describe('constraints', () => {
  const at = (c: Constraint) =>
    run({
      id: 'x',
      constraint: [c],
      group: [{ name: 'g', task: [{ name: 't', driver: 'exec' }] }],
    });

  it.each<[string, Constraint, string | undefined]>([
    ['an equality', { attribute: '${attr.kernel.name}', value: 'linux' }, undefined],
    ['distinct_hosts without attribute', { operator: 'distinct_hosts' }, undefined],
    ['the distinct_hosts shorthand', { distinct_hosts: true }, undefined],
    [
      'an equality without value',
      { attribute: '${attr.kernel.name}' },
      'Operator "=" requires an RTarget',
    ],
    [
      'a comparison without attribute',
      { operator: '>', value: '3' },
      'No LTarget provided but is required by constraint',
    ],
    [
      'set_contains without values',
      { attribute: '${meta.tags}', operator: 'set_contains' },
      'Set contains constraint requires an RTarget',
    ],
    [
      'set_contains_any with values',
      { attribute: '${meta.tags}', operator: 'set_contains_any', value: 'a,b' },
      undefined,
    ],
    [
      'is_set with a value',
      { attribute: '${meta.x}', operator: 'is_set', value: 'y' },
      'Operator "is_set" does not support an RTarget',
    ],
    [
      'a valid regexp',
      { attribute: '${node.class}', operator: 'regexp', value: '(?i)^web-\\d+$' },
      undefined,
    ],
    [
      'a broken regexp',
      { attribute: '${node.class}', operator: 'regexp', value: '([a-z' },
      'Regular expression failed to compile',
    ],
    ['a version range', { attribute: '${attr.os.version}', version: '>= 1.2, < 2.0' }, undefined],
    [
      'a pessimistic version',
      { attribute: '${attr.os.version}', operator: 'version', value: '~> 1.2' },
      undefined,
    ],
    [
      'a broken version',
      { attribute: '${attr.os.version}', operator: 'version', value: '>= 1.x' },
      'Version constraint is invalid',
    ],
    [
      'a semver with ~>',
      { attribute: '${attr.os.version}', operator: 'semver', value: '~> 1.2' },
      'Semver constraint is invalid',
    ],
    ['a distinct_property count', { distinct_property: '${meta.rack}', value: '2' }, undefined],
    [
      'a distinct_property count of 0',
      { distinct_property: '${meta.rack}', value: '0' },
      'Distinct Property must have an allowed count of 1 or greater: 0 < 1',
    ],
  ])('%s', (_what, c, summary) => {
    expect(summaries(errors(at(c)))).toEqual(summary ? [summary] : []);
  });

  it('reports a shorthand value at the shorthand attribute', () => {
    const ds = errors(
      run(
        {
          id: 'x',
          constraint: [{ attribute: '${attr.os.version}', version: 'latest' }],
          group: [{ name: 'g', task: [{ name: 't', driver: 'exec' }] }],
        },
        index({ '/constraint/0': 2 }, { '/constraint/0/version': 4 }),
      ),
    );
    expect(summaries(ds)).toEqual(['Version constraint is invalid']);
    expect(where(ds[0])).toEqual([4, 20]);
    expect(ds[0]!.detail).toBe('Malformed constraint: latest');
  });

  it('rejects distinct_hosts at task level', () => {
    const ds = errors(run(job({}, { constraint: [{ operator: 'distinct_hosts' }] })));
    expect(summaries(ds)).toEqual([
      'Constraint has disallowed Operand at task level: distinct_hosts',
    ]);
  });

  it('warns about shorthands Nomad ignores in constraints', () => {
    const ds = run(
      job({ constraint: [{ attribute: '${meta.tags}', value: 'a', set_contains_all: 'a' }] }),
    );
    expect(ds.map((d) => [d.severity, d.summary])).toEqual([
      ['warning', 'set_contains_all is ignored in a constraint block'],
    ]);
  });

  it('checks affinities and spreads', () => {
    const ds = errors(
      run(
        job({
          affinity: [{ attribute: '${node.datacenter}', value: 'dc1', weight: 0 }],
          spread: [
            {
              attribute: '${node.datacenter}',
              target: [
                { value: 'a', percent: 70 },
                { value: 'b', percent: 40 },
              ],
            },
          ],
        }),
      ),
    );
    expect(summaries(ds)).toEqual([
      'Affinity weight cannot be zero',
      'Sum of spread target percentages must not be greater than 100%; got 110%',
    ]);
  });
});

describe('pattern helpers', () => {
  it('translates RE2-only syntax before compiling', () => {
    expect(regexpProblem('(?i)^abc$')).toBeUndefined();
    expect(regexpProblem('(?P<rack>r[0-9]+)')).toBeUndefined();
    expect(regexpProblem('\\Aabc\\z')).toBeUndefined();
    expect(regexpProblem('(unclosed')).toBeDefined();
  });

  it('parses go-version and semver constraints', () => {
    expect(versionConstraintProblem('>= 1.0, < 1.4', true)).toBeUndefined();
    expect(versionConstraintProblem('v1.2.3-beta.1+meta', true)).toBeUndefined();
    expect(versionConstraintProblem('~> 0.9', true)).toBeUndefined();
    expect(versionConstraintProblem('>= 1.0, =< 2', true)).toBe('=< 2');
    expect(versionConstraintProblem('~> 0.9', false)).toBe('~> 0.9');
  });

  it('checks cron specs', () => {
    expect(cronProblem('*/5 * * * *')).toBeUndefined();
    expect(cronProblem('0 0 12 ? * MON-FRI *')).toBeUndefined();
    expect(cronProblem('@weekly')).toBeUndefined();
    expect(cronProblem('@fortnightly')).toMatch(/Unknown shorthand "@fortnightly"/);
    expect(cronProblem('* * *')).toMatch(/this one has 3/);
    expect(cronProblem('* * * * $')).toMatch(
      /the day-of-week field \(\$\) contains illegal characters/,
    );
  });
});

describe('update', () => {
  const up = (update: Group['update'], attrs: Record<string, number> = {}) =>
    run(job({ count: 3, update }), index({ '/group/0/update': 4 }, attrs));

  it('warns about canaries with max_parallel = 0, which Nomad accepts', () => {
    const ds = up({ canary: 1, max_parallel: 0 }, { '/group/0/update/canary': 6 });
    expect(ds.map((d) => [d.severity, d.summary, ...where(d)!])).toEqual([
      ['warning', 'Canaries with max_parallel = 0', 6, 20],
    ]);
  });

  it('rejects auto_promote without canaries, as Nomad does', () => {
    const ds = up({ auto_promote: true }, { '/group/0/update/auto_promote': 5 });
    expect(ds.map((d) => [d.severity, d.summary, ...where(d)!])).toEqual([
      ['error', 'Auto Promote requires a Canary count greater than zero', 5, 20],
    ]);
  });

  it('warns that a system job is updated without canaries, and plan does not refuse it', () => {
    const ds = run(
      job({ update: { canary: 1 } }, {}, { type: 'system' }),
      index({ '/group/0/update': 4, '/type': 2 }, { '/group/0/update/canary': 5 }),
    );
    expect(ds.map((d) => [d.severity, d.summary, ...where(d)!])).toEqual([
      ['warning', 'System jobs are updated without canaries', 5, 20],
    ]);
    expect(refusals(ds)).toEqual([]);
  });

  it('accepts system and sysbatch jobs as plan and apply run them', () => {
    for (const type of ['system', 'sysbatch'] as const)
      expect(run(job({}, {}, { type }), index({ '': 1, '/type': 2 }))).toEqual([]);
  });

  it('needs min_healthy_time < healthy_deadline < progress_deadline', () => {
    const a = errors(up({ min_healthy_time: '10m' }, { '/group/0/update/min_healthy_time': 7 }));
    expect(summaries(a)).toEqual([
      'Minimum healthy time must be less than healthy deadline: 10m0s > 5m0s',
    ]);
    expect(where(a[0])).toEqual([7, 20]);
    const b = errors(up({ progress_deadline: '2m' }, { '/group/0/update/progress_deadline': 8 }));
    expect(summaries(b)).toEqual([
      'Healthy deadline must be less than progress deadline: 5m0s > 2m0s',
    ]);
    expect(where(b[0])).toEqual([8, 20]);
    expect(errors(up({ progress_deadline: 0, min_healthy_time: '1m' }))).toEqual([]);
  });

  it('reports a job-level problem once, where it is written, for every group inheriting it', () => {
    const j: Job = {
      id: 'x',
      update: { auto_promote: true },
      group: ['a', 'b'].map((name) => ({ name, task: [{ name: 't', driver: 'exec' }] })),
    };
    const ds = errors(run(j, index({ '/update': 2 }, { '/update/auto_promote': 3 })));
    expect(ds.map((d) => [d.summary, ...where(d)!])).toEqual([
      ['Auto Promote requires a Canary count greater than zero', 3, 20],
    ]);
  });

  it('warns when max_parallel exceeds the group count, for groups of more than one', () => {
    const ds = run(job({ count: 2, update: { max_parallel: 3 } }));
    expect(summaries(ds)).toEqual(['Update max parallel count is greater than task group count']);
    // Nomad: (*TaskGroup).Warnings leaves out groups of one allocation.
    expect(run(job({ count: 1, update: { max_parallel: 3 } }))).toEqual([]);
  });

  it('rejects update and migrate blocks in batch jobs', () => {
    const j = job(
      {},
      {},
      { type: 'batch', update: { max_parallel: 1 }, migrate: { max_parallel: 1 } },
    );
    const ds = errors(run(j, index({ '/update': 3, '/migrate': 9 })));
    expect(ds.map((d) => [d.summary, ...where(d)!])).toEqual([
      ['Job type "batch" does not allow update block', 3, 3],
      ['Job type "batch" does not allow migrate block', 9, 3],
    ]);
  });

  it('warns when only some groups auto-promote', () => {
    const j: Job = {
      id: 'x',
      group: [
        {
          name: 'a',
          count: 2,
          update: { canary: 1, auto_promote: true },
          task: [{ name: 't', driver: 'exec' }],
        },
        { name: 'b', count: 2, update: { canary: 1 }, task: [{ name: 't', driver: 'exec' }] },
      ],
    };
    expect(summaries(run(j))).toEqual([
      'auto_promote must be true for all groups to enable automatic promotion',
    ]);
  });
});

describe('job types', () => {
  it('keeps system jobs to one allocation per node and no reschedule, affinity or spread', () => {
    const j = job(
      {
        count: 2,
        reschedule: { attempts: 1 },
        affinity: [{ attribute: '${node.class}', value: 'x' }],
      },
      {},
      { type: 'system' },
    );
    const ds = errors(run(j, index({ '/group/0/reschedule': 5 }, { '/group/0/count': 3 })));
    expect(ds.map((d) => [d.summary, ...where(d)!])).toEqual([
      ['Count cannot exceed 1 with system scheduler', 3, 20],
      ['System jobs may not have an affinity block', 1, 1],
      ['System jobs should not have a reschedule policy', 5, 3],
    ]);
  });

  it('checks periodic jobs', () => {
    const bad = (periodic: Job['periodic'], type: Job['type'] = 'batch') =>
      summaries(errors(run(job({}, {}, { type, periodic }))));
    expect(bad({ crons: ['0 3 * * *'] })).toEqual([]);
    expect(bad({ cron: '@hourly' }, 'sysbatch')).toEqual([]);
    expect(bad({ crons: ['0 3 * * *'] }, 'service')).toEqual([
      'Periodic can only be used with "batch" or "sysbatch" scheduler',
    ]);
    expect(bad({})).toEqual(['Must specify a spec']);
    expect(bad({ cron: '* *' })).toEqual(['Invalid cron spec "* *"']);
    expect(bad({ cron: '@daily', crons: ['@hourly'] })).toEqual(['Only cron or crons may be used']);
    expect(bad({ crons: ['@daily'], time_zone: 'Mars/Olympus' })).toEqual([
      'Invalid time zone "Mars/Olympus"',
    ]);
    expect(bad({ enabled: false })).toEqual([]);
  });

  it('checks parameterized jobs', () => {
    const ds = errors(
      run(
        job(
          {},
          {},
          { type: 'service', parameterized: { meta_required: ['a', 'b'], meta_optional: ['b'] } },
        ),
      ),
    );
    expect(summaries(ds)).toEqual([
      'Parameterized job can only be used with "batch" or "sysbatch" scheduler',
      'Required and optional meta keys should be disjoint',
    ]);
  });
});

describe('group rules', () => {
  it('allows one leader task', () => {
    const j = job({
      task: [
        { name: 'a', driver: 'exec', leader: true },
        { name: 'b', driver: 'exec', leader: true },
      ],
    });
    const ds = errors(run(j, index({}, { '/group/0/task/1/leader': 9 })));
    expect(ds.map((d) => [d.summary, ...where(d)!])).toEqual([
      ['Only one task may be marked as leader', 9, 20],
    ]);
  });

  it('checks volumes and their mounts', () => {
    const j = job(
      { volume: [{ name: 'data', type: 'host' }] },
      {
        volume_mount: [
          { volume: 'data', destination: '/d' },
          { volume: 'logs', destination: '/l' },
        ],
      },
    );
    const ds = errors(
      run(j, index({ '/group/0/volume/0': 3 }, { '/group/0/task/0/volume_mount/1/volume': 8 })),
    );
    expect(ds.map((d) => [d.summary, ...where(d)!])).toEqual([
      ['Volume data has an empty source', 3, 3],
      ['Task t has a volume mount (1) referencing undefined volume logs', 8, 20],
    ]);
  });

  it('checks restart and reschedule policies', () => {
    const r = errors(
      run(job({ restart: { attempts: 10, delay: '1m', interval: '5m', mode: 'delay' } })),
    );
    expect(summaries(r)).toEqual([
      "Nomad can't restart the TaskGroup 10 times in an interval of 5m0s with a delay of 1m0s",
    ]);
    const s = errors(
      run(
        job({
          reschedule: {
            attempts: 10,
            interval: '1m',
            delay: '30s',
            delay_function: 'constant',
            unlimited: false,
          },
        }),
      ),
    );
    expect(summaries(s)).toEqual(['Nomad can only make 2 attempts in 1m0s with initial delay 30s']);
    const t = errors(run(job({ reschedule: { delay: '1s' } })));
    expect(summaries(t)).toEqual(['Delay cannot be less than 5s (got 1s)']);
  });

  it('checks the scaling range against the count', () => {
    const ds = errors(run(job({ count: 12, scaling: { min: 1, max: 10 } })));
    expect(summaries(ds)).toEqual([
      'Scaling policy invalid: task group count must not be greater than maximum count in scaling policy',
    ]);
  });

  it('checks group service checks', () => {
    const j = job({
      network: [{ port: [{ label: 'http' }] }],
      service: [
        {
          name: 'web_api',
          port: 'http',
          check: [
            { type: 'script', command: '/bin/check', interval: '10s', timeout: '1s' },
            { type: 'http', interval: '500ms', timeout: '1s', task: 'nope' },
            { type: 'tcp', interval: '5s', timeout: '1s', task: 't', address_mode: 'driver' },
          ],
        },
      ],
    });
    expect(summaries(errors(run(j)))).toEqual([
      'Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes',
      'Service [g]->web_api or Check  must specify task parameter',
      'http type must have http path',
      'interval (500ms) cannot be lower than 1s',
      'Check of service "web_api" invalid: refers to non-existent task nope',
      'Check of service "web_api" invalid: cannot use address_mode="driver", only checks defined in a "task" service block can use this mode',
    ]);
  });

  it('accepts what Nomad accepts: a group http check with task and expose', () => {
    const j = job({
      network: [{ mode: 'bridge', port: [{ label: 'http' }] }],
      service: [
        {
          name: 'web',
          port: 'http',
          check: [
            {
              type: 'http',
              path: '/health',
              interval: '10s',
              timeout: '2s',
              task: 't',
              expose: true,
            },
          ],
        },
      ],
    });
    expect(errors(run(j))).toEqual([]);
  });

  it('lets a task service check name its own task only', () => {
    const svc = (task: string) => ({
      service: [
        {
          name: 'web',
          port: 'http',
          check: [{ type: 'tcp' as const, interval: '10s', timeout: '2s', task }],
        },
      ],
    });
    const net = { network: [{ port: [{ label: 'http' }] }] };
    expect(errors(run(job(net, svc('t'))))).toEqual([]);
    expect(summaries(errors(run(job(net, svc('other')))))).toEqual([
      'Check of service "web" is invalid: may only specify task the check belongs to, got "other"',
    ]);
    const own = (task: string) => ({ service: [{ name: 'web', port: 'http', task }] });
    expect(errors(run(job(net, own('t'))))).toEqual([]);
    expect(summaries(errors(run(job(net, own('db')))))).toEqual([
      'Service web is invalid: may only specify task the service belongs to, got "db"',
    ]);
  });
});

describe('templates', () => {
  it('checks source, destination, signals and permissions', () => {
    const ds = errors(
      run(
        job(
          {},
          {
            template: [
              { destination: 'local/a' },
              { data: 'x' },
              { data: 'x', destination: 'local/a', env: true, change_mode: 'signal' },
              { data: 'x', destination: 'local/b', perms: '0999' },
            ],
          },
        ),
        index(
          { '/group/0/task/0/template/0': 4 },
          { '/group/0/task/0/template/2/destination': 12 },
        ),
      ),
    );
    expect(ds.map((d) => [d.summary, ...where(d)!])).toEqual([
      ['Must specify a source path or have an embedded template', 4, 3],
      ['Must specify a destination for the template', 1, 1],
      ['Template has same destination as another template', 12, 20],
      ['cannot use signals with env var templates', 1, 1],
      ['Failed to parse "0999" as octal', 1, 1],
    ]);
  });
});

describe('templates that read Consul or Vault', () => {
  const tmpl = (data: string) => ({ template: [{ data, destination: 'local/x' }] });
  const ptr = '/group/0/task/0/template/0';

  it('refuses each Consul or Vault function at its line and column inside a quoted data', () => {
    // data = "…" on line 9: the value starts at column 20, its text one column later.
    const ds = run(
      job({}, tmpl('{{ env "A" }}\n{{ with secret "kv/db" }}{{ .Data.pw }}{{ end }}')),
      index({ [ptr]: 8 }, { [`${ptr}/data`]: 9 }),
    );
    const refused = refusals(ds);
    expect(summaries(refused)).toEqual([
      'template function "secret" reads Vault, which drover does not use',
    ]);
    // Line 2 of the text, column 9: after "{{ env \"A\" }}" (13 characters) and the 2 of "\n".
    expect(where(refused[0])).toEqual([9, 21 + 13 + 2 + 8]);
    expect(refused[0]!.detail).toContain('nomadVar');
  });

  it('points into a heredoc by the line of the text', () => {
    const ranges = index({ [ptr]: 8 });
    ranges.set(`${ptr}/data`, {
      range: span(9, 5, 30),
      valueRange: {
        filename: FILE,
        start: { line: 9, column: 12, byte: 0 },
        end: { line: 12, column: 4, byte: 90 },
      },
    });
    const ds = run(job({}, tmpl('a\n  {{ range service "db" }}{{ .Address }}{{ end }}\n')), ranges);
    expect(summaries(refusals(ds))).toEqual([
      'template function "service" reads Consul, which drover does not use',
    ]);
    expect(where(refusals(ds)[0])).toEqual([11, 12]);
  });

  it('makes a template that does not parse an error at its line; a plain one passes', () => {
    const bad = run(job({}, tmpl('ok\n{{ if }}')), index({ [ptr]: 8 }, { [`${ptr}/data`]: 9 }));
    expect(errors(bad).map((d) => d.summary)).toHaveLength(1);
    expect(errors(bad)[0]!.summary).toMatch(/^template: /);
    expect(where(errors(bad)[0])![0]).toBe(9);
    const plain = run(job({}, tmpl('{{ env "NOMAD_TASK_NAME" }}')));
    expect(errors(plain)).toEqual([]);
    expect(refusals(plain)).toEqual([]);
  });
});

describe('stanzas drover does not run', () => {
  it('runs a written reschedule block as written: no warning', () => {
    const j: Job = {
      id: 'x',
      type: 'batch',
      group: [
        {
          name: 'g',
          reschedule: { attempts: 1, interval: '1h' },
          task: [{ name: 't', driver: 'docker', config: { image: 'x' } }],
        },
      ],
    };
    const written = run(j, index({ '': 1, '/group/0/reschedule': 4 }));
    expect(summaries(written)).toEqual([]);
  });

  it('refuses those whose absence changes what runs, warns once per other block, at the block', () => {
    const j: Job = {
      id: 'x',
      vault: { policies: ['p'] },
      multiregion: { region: [{ name: 'west' }] },
      group: [
        {
          name: 'g',
          consul: {},
          scaling: { max: 3 },
          volume: [{ name: 'v', type: 'csi', source: 'vol' }],
          service: [{ name: 's', connect: { sidecar_service: [{}] } }],
          task: [
            {
              name: 't',
              driver: 'docker',
              artifact: [{ source: 'https://x/y' }],
              template: [{ data: 'x', destination: 'local/x' }],
              consul: {},
              identity: [{ name: 'i' }],
              secret: [{ name: 's' }],
              scaling: [{ name: 'mem', max: 512 }],
              csi_plugin: { id: 'p', type: 'node' },
              resources: { device: [{ name: 'nvidia/gpu' }] },
            },
          ],
        },
      ],
    };
    const ds = run(j, index({ '/vault': 2, '/group/0/task/0/template/0': 30 }));
    const warnings = ds.filter((d) => d.severity === 'warning' && !d.refusedByPlan);
    expect(warnings.every((d) => d.summary === NOT_RUN)).toBe(true);
    const tag = (d: Diagnostic) =>
      /"([a-z_]+)" block/.exec(d.detail ?? '')?.[1] ?? d.detail!.split(' ')[0];
    expect(warnings.map(tag).sort()).toEqual(
      [
        'multiregion',
        'consul',
        'scaling',
        'csi_plugin',
        'consul',
        'scaling',
        'identity',
        'secret',
      ].sort(),
    );
    // Templates are rendered now: a plain one is neither warned about nor refused.
    expect(ds.some((d) => d.summary.startsWith('template'))).toBe(false);

    // vault (once: the task's default copy of the job's is not repeated), connect, a CSI
    // volume and a device are refused by plan and apply (validate warns): the job would run
    // without them.
    expect(errors(ds)).toEqual([]);
    const refused = refusals(ds);
    expect(summaries(refused).sort()).toEqual(
      [
        'vault is not run by drover',
        'connect is not run by drover',
        'volume is not run by drover',
        'device is not run by drover',
      ].sort(),
    );
    const vault = refused.find((d) => d.summary.startsWith('vault'));
    expect(where(vault)).toEqual([2, 3]);
    expect(vault!.detail).toContain('without its secrets');
  });
});

describe('artifact', () => {
  const SHA = 'ab'.repeat(32);
  const art = (a: NonNullable<Task['artifact']>[number]) => job({}, { artifact: [a] });

  it('accepts http(s) and host file sources with a valid checksum, without warnings', () => {
    const ds = run(
      job(
        {},
        {
          artifact: [
            { source: 'https://e/a.tgz', options: { checksum: `sha256:${SHA}` } },
            { source: 'file:///srv/a.zip', destination: 'local/a' },
            { source: '/srv/tool', mode: 'file', destination: '../alloc/tool' },
          ],
        },
      ),
    );
    expect(ds).toEqual([]);
  });

  it('refuses go-getter sources drover has no getter for, at the source', () => {
    const ds = run(
      art({ source: 'git::https://github.com/e/r', options: { ref: 'v1' } }),
      index({ '': 1, '/group/0/task/0/artifact/0': 7 }, { '/group/0/task/0/artifact/0/source': 8 }),
    );
    expect(errors(ds)).toEqual([]);
    const [refused, ...more] = refusals(ds);
    expect(more).toEqual([]);
    expect(refused!.summary).toBe('artifact source not fetched by drover');
    expect(refused!.detail).toContain('git:: getter are not built yet');
    expect(where(refused)).toEqual([8, 5]);
  });

  it('checks the checksum and destination as Nomad does', () => {
    const ds = run(
      job(
        {},
        {
          artifact: [
            { source: 'https://e/a', options: { checksum: 'sha256:abcd' } },
            { source: 'https://e/b', options: { checksum: `sha3:${SHA}` } },
            { source: 'https://e/c', destination: '../../x' },
            { source: 'https://e/d', options: { checksum: '${NOMAD_META_sum}' } },
          ],
        },
      ),
    );
    expect(summaries(errors(ds))).toEqual([
      'invalid sha256 checksum: abcd',
      'unsupported checksum type: sha3',
      'destination escapes allocation directory',
    ]);
  });

  it('warns that chown is not run', () => {
    const ds = run(art({ source: 'https://e/a', chown: true }));
    expect(ds.map((d) => [d.summary, d.detail])).toEqual([
      [NOT_RUN, expect.stringContaining('chown')],
    ]);
  });
});

describe('lifecycle', () => {
  const hooked = (hooks: (Task['lifecycle'] | undefined)[]): Job => ({
    id: 'example',
    group: [
      {
        name: 'g',
        task: hooks.map((lifecycle, k) => ({
          name: `t${k}`,
          driver: 'docker',
          ...(lifecycle ? { lifecycle } : {}),
        })),
      },
    ],
  });

  it('runs prestart, poststart and poststop hooks beside a main task: no error, no refusal', () => {
    const ds = run(
      hooked([
        { hook: 'prestart' },
        { hook: 'prestart', sidecar: true },
        undefined,
        { hook: 'poststart' },
        { hook: 'poststop' },
      ]),
    );
    expect(errors(ds)).toEqual([]);
    expect(refusals(ds)).toEqual([]);
  });

  it('needs at least one main task in the group (Nomad rejects a group of hooks alone)', () => {
    const ds = run(
      hooked([{ hook: 'prestart' }, { hook: 'poststop' }]),
      index({ '': 1, '/group/0': 2 }),
    );
    expect(summaries(errors(ds))).toEqual(['Task group must have at least one main task']);
    expect(where(errors(ds)[0])).toEqual([2, 3]);
  });

  it('counts a lifecycle block without a hook as a main task (Nomad drops it)', () => {
    expect(errors(run(hooked([{ hook: 'prestart' }, { sidecar: true }])))).toEqual([]);
  });
});

describe('max_run_duration', () => {
  it('is refused by plan and apply at the attribute: nothing would stop the allocation at its deadline', () => {
    const j: Job = {
      id: 'x',
      type: 'batch',
      group: [
        {
          name: 'g',
          max_run_duration: '1h',
          task: [{ name: 't', driver: 'docker', config: { image: 'x' } }],
        },
      ],
    };
    const ds = run(j, index({ '': 1, '/group/0': 2 }, { '/group/0/max_run_duration': 3 }));
    const refused = refusals(ds);
    expect(summaries(refused)).toEqual(['max_run_duration is not run by drover']);
    expect(where(refused[0])).toEqual([3, 5]);
    expect(refused[0]!.detail).toContain('run past the deadline');
    const { max_run_duration: _m, ...unwritten } = j.group![0]!;
    expect(refusals(run({ ...j, group: [unwritten] }))).toEqual([]);
  });
});
