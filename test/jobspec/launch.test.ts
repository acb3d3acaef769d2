import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type {
  NormalizedJob as Job,
  NormalizedTask as Task,
} from '../../src/generated/normalized-job.js';
import { payloadPath } from '../../src/deploy/dispatch-payload.js';
import { escapesAllocDir } from '../../src/jobspec/rules.js';
import {
  childJob,
  DISPATCH_PAYLOAD_LIMIT,
  dispatchChildId,
  dispatchProblem,
  launchKind,
  periodicChildId,
} from '../../src/jobspec/launch.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { computePlan } from '../../src/plan/compute.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { alloc } from '../scheduler/fixtures.js';
import { emptyState } from '../../src/state/snapshot.js';
import { containerName } from '../../providers/drivers/docker-spec.js';
import { taskInstanceName } from '../../providers/types.js';

const TASK = `group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      dispatch_payload {
        file = "in.json"
      }
    }
  }`;

function load(id: string, body: string) {
  const src = `job "${id}" {\n  type = "batch"\n${body}\n  ${TASK}\n}\n`;
  const diags = new Diagnostics();
  const loaded = loadJobSource(
    src,
    `${id}.hcl`,
    { inputs: { vars: [], varFiles: [], env: {} } },
    diags,
  );
  return { loaded, diags: diags.items, src };
}

function job(id: string, body: string): Job {
  const { loaded, diags } = load(id, body);
  expect(diags).toEqual([]);
  return loaded!.job;
}

const PARAM = `  parameterized {
    payload       = "required"
    meta_required = ["image"]
    meta_optional = ["quality"]
  }
  meta {
    quality = "90"
    team    = "media"
  }`;

const bytes = (n: number) => new Uint8Array(n).fill(65);

describe('child job ids', () => {
  const at = new Date('2026-12-07T03:15:00.500Z');

  it('follow Nomad: <id>/periodic-<unix> and <id>/dispatch-<unix>-<8 hex>', () => {
    expect(periodicChildId('nightly', at)).toBe('nightly/periodic-1796613300');
    expect(dispatchChildId('resize', at, '1c41bc66-aaaa-4bbb-8ccc-dddddddddddd')).toBe(
      'resize/dispatch-1796613300-1c41bc66',
    );
    expect(() => dispatchChildId('resize', at, 'not-a-uuid')).toThrow(/not a uuid/);
  });

  it('make docker-safe container names though they hold a slash', () => {
    const name = containerName(
      taskInstanceName('resize/dispatch-1796613300-1c41bc66', 'g', 't', 'abcdef0123'),
    );
    expect(name).toBe('resize-dispatch-1796613300-1c41bc66-g-t-abcdef01');
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
  });
});

describe('dispatch checks (nomad/job_endpoint.go validateDispatchRequest)', () => {
  const parent = job('resize', PARAM);
  const check = (meta: Record<string, string>, payload = bytes(10)) =>
    dispatchProblem(parent, { meta, payload });

  it('accepts the required keys, optional ones and a payload', () => {
    expect(check({ image: 'a.png' })).toBeUndefined();
    expect(check({ image: 'a.png', quality: '70' })).toBeUndefined();
    expect(check({ image: 'a.png' }, bytes(DISPATCH_PAYLOAD_LIMIT))).toBeUndefined();
  });

  it.each([
    [{}, bytes(10), 'Dispatch did not provide required meta keys: image'],
    [
      { image: 'a', color: 'red' },
      bytes(10),
      'Dispatch request included unpermitted metadata keys: color (allowed: image, quality)',
    ],
    [{ image: 'a' }, bytes(0), 'Payload is not provided but required by parameterized job'],
    [
      { image: 'a' },
      bytes(DISPATCH_PAYLOAD_LIMIT + 1),
      `Payload exceeds maximum size; ${DISPATCH_PAYLOAD_LIMIT + 1} > ${DISPATCH_PAYLOAD_LIMIT}`,
    ],
  ])('refuses meta %j (payload of %#)', (meta, payload, message) => {
    expect(check(meta, payload)).toBe(message);
  });

  it('refuses a payload a job forbids, and a job that is not parameterized', () => {
    const forbidding = job('f', '  parameterized {\n    payload = "forbidden"\n  }');
    expect(dispatchProblem(forbidding, { meta: {}, payload: bytes(1) })).toBe(
      'Payload provided but forbidden by parameterized job',
    );
    expect(dispatchProblem(forbidding, { meta: {}, payload: bytes(0) })).toBeUndefined();
    expect(dispatchProblem(job('plain', ''), { meta: {}, payload: bytes(0) })).toBe(
      'job "plain" is not a parameterized job',
    );
  });
});

describe('child jobs', () => {
  it('take the id as name, merge the dispatch meta and drop the launching block', () => {
    const parent = job('resize', PARAM);
    const child = childJob(parent, 'resize/dispatch-1-abcdef01', 'dispatch', { quality: '70' });
    expect(child).toMatchObject({
      id: 'resize/dispatch-1-abcdef01',
      name: 'resize/dispatch-1-abcdef01',
      meta: { quality: '70', team: 'media' },
    });
    expect(child.parameterized).toBeUndefined();
    expect(launchKind(parent)).toBe('parameterized');
    expect(launchKind(child)).toBeUndefined();
    const nightly = job('nightly', '  periodic {\n    crons = ["@daily"]\n  }');
    expect(launchKind(nightly)).toBe('periodic');
    expect(childJob(nightly, 'nightly/periodic-1', 'periodic').periodic).toBeUndefined();
  });
});

describe('validate', () => {
  it('accepts periodic and parameterized jobs without a refusal', () => {
    expect(load('n', '  periodic {\n    crons = ["@daily"]\n  }').diags).toEqual([]);
    expect(load('p', PARAM).diags).toEqual([]);
  });

  it('reports a bad cron and an unknown time zone at their attribute', () => {
    const { diags } = load(
      'n',
      '  periodic {\n    crons     = ["0 3 * *", "@daily"]\n    time_zone = "Mars/Olympus"\n  }',
    );
    expect(
      diags.map((d) => [d.severity, d.summary, d.range?.start.line, d.range?.start.column]),
    ).toEqual([
      ['error', 'Invalid cron spec "0 3 * *"', 4, 18],
      ['error', 'Invalid time zone "Mars/Olympus"', 5, 17],
    ]);
  });
});

describe('dispatch_payload', () => {
  it('may not name a file above the allocation directory (Nomad’s rule)', () => {
    const src = (file: string) =>
      `job "p" {\n  type = "batch"\n  parameterized {}\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n      config {\n        command = "/bin/true"\n      }\n      dispatch_payload {\n        file = "${file}"\n      }\n    }\n  }\n}\n`;
    const diags = (file: string) => {
      const d = new Diagnostics();
      loadJobSource(src(file), 'p.hcl', { inputs: { vars: [], varFiles: [], env: {} } }, d);
      return d.items.map((x) => [x.summary, x.range?.start.line, x.range?.start.column]);
    };
    expect(diags('in/request.json')).toEqual([]);
    // task/local/../../x is still inside the allocation directory.
    expect(diags('../../shared.json')).toEqual([]);
    expect(diags('../../../etc/passwd')).toEqual([
      ['dispatch_payload file escapes allocation directory', 11, 16],
    ]);
    expect(escapesAllocDir('task/local/a/../b')).toBe(false);
    expect(escapesAllocDir('task/local//../../..')).toBe(true);
  });

  it('lands in the task’s local/ directory on the host', () => {
    const task = { name: 't', dispatch_payload: { file: 'in/request.json' } } as Task;
    expect(payloadPath({ allocDir: '/var/lib/drover/alloc/a1', task })).toBe(
      '/var/lib/drover/alloc/a1/t/local/in/request.json',
    );
    expect(payloadPath({ allocDir: '/x', task: { name: 't' } as Task })).toBeUndefined();
    expect(() =>
      payloadPath({
        allocDir: '/x',
        task: { name: 't', dispatch_payload: { file: '../../../y' } } as Task,
      }),
    ).toThrow(/escapes the allocation directory/);
  });
});

describe('plan of a periodic or parameterized job', () => {
  const node = () => {
    const s = emptyState('00000000-0000-4000-8000-000000000000');
    s.nodes.local = {
      name: 'local',
      inventory: { transport: 'local', datacenter: 'dc1' },
      eligibility: 'eligible',
      fingerprint: {
        fingerprinted_at: '2026-01-01T00:00:00Z',
        attributes: { 'kernel.name': 'linux' },
        resources: { cpu: 4000, memory: 8192 },
        drivers: { raw_exec: { detected: true, healthy: true } },
      },
    };
    return s;
  };
  const plan = (id: string, body: string) => {
    const { loaded, src } = load(id, body);
    return computePlan({
      desired: [
        {
          kind: 'run',
          id,
          job: loaded!.job,
          submitted: loaded!.submitted,
          source: src,
          filename: `${id}.hcl`,
        },
      ],
      state: node(),
      classify: () => 'destructive',
      seed: 'launch-test',
      now: new Date('2026-12-07T12:00:00Z'),
      droverVersion: 'test',
    });
  };

  it('records the job, places nothing and says when it launches next', () => {
    const p = plan(
      'nightly',
      '  periodic {\n    crons = ["15 3 * * *", "0 14 * * *"]\n    time_zone = "Europe/Berlin"\n    prohibit_overlap = true\n  }',
    );
    const j = p.jobs[0]!;
    expect(j).toMatchObject({ type: 'create', new_version: true, rollout: null });
    expect(j.groups.flatMap((g) => g.placements)).toEqual([]);
    expect(j.schedule).toEqual({
      kind: 'periodic',
      next_launch: '2026-12-07T14:00:00+01:00',
      time_zone: 'Europe/Berlin',
      crons: ['15 3 * * *', '0 14 * * *'],
      prohibit_overlap: true,
      enabled: true,
    });
    const text = renderPlanText(p);
    expect(text).toContain(
      'Periodic job: nothing runs now; next launch 2026-12-07T14:00:00+01:00 (Europe/Berlin).',
    );
    expect(text).toContain('`drover job periodic force nightly`');
    expect(text).toContain(
      '1 periodic or parameterized job to record; they start nothing themselves.',
    );
    // Unchanged, the plan still says when it launches next (as Nomad's does).
    const unchanged = renderPlanText({ ...p, jobs: [{ ...j, type: 'none', new_version: false }] });
    expect(unchanged).toContain(
      'Job: "nightly" (unchanged)\nPeriodic job: nothing runs now; next launch 2026-12-07T14:00:00+01:00',
    );
    expect(unchanged).toContain('No changes. Job "nightly" is up to date.');
  });

  it('says a disabled periodic job has no next launch', () => {
    const p = plan('off', '  periodic {\n    crons = ["@daily"]\n    enabled = false\n  }');
    expect(p.jobs[0]!.schedule).toMatchObject({ next_launch: null, enabled: false });
    expect(renderPlanText(p)).toContain('next launch none (disabled: enabled = false)');
  });

  it('stops what an earlier, plain version of the job runs', () => {
    const plain = load('nightly', '');
    const state = node();
    state.jobs.nightly = {
      stopped: false,
      versions: [
        {
          version: 0,
          submitted_at: '2026-12-01T00:00:00Z',
          source: plain.src,
          filename: 'nightly.hcl',
          submitted: plain.loaded!.submitted,
          ...encodeStoredJob(plain.loaded!.job),
          stable: true,
          status: 'running',
        },
      ],
    };
    state.allocations.a1 = alloc({ id: 'a1', job: 'nightly', group: 'g', node: 'local', index: 0 });
    const { loaded, src } = load('nightly', '  periodic {\n    crons = ["@daily"]\n  }');
    const p = computePlan({
      desired: [
        {
          kind: 'run',
          id: 'nightly',
          job: loaded!.job,
          submitted: loaded!.submitted,
          source: src,
          filename: 'nightly.hcl',
        },
      ],
      state,
      classify: () => 'destructive',
      seed: 'launch-test',
      now: new Date('2026-12-07T12:00:00Z'),
      droverVersion: 'test',
    });
    const j = p.jobs[0]!;
    expect(j).toMatchObject({ type: 'update', new_version: true, to_version: 1 });
    expect(j.groups.flatMap((g) => g.stops.map((s) => s.alloc_id))).toEqual(['a1']);
    expect(j.groups.flatMap((g) => g.placements)).toEqual([]);
    expect(j.schedule?.next_launch).toBe('2026-12-08T00:00:00Z');
  });

  it('holds a parameterized job until it is dispatched', () => {
    const p = plan('resize', PARAM);
    expect(p.jobs[0]!.schedule).toEqual({ kind: 'parameterized', next_launch: null });
    expect(p.jobs[0]!.groups.flatMap((g) => g.placements)).toEqual([]);
    expect(renderPlanText(p)).toContain(
      'Parameterized job: nothing runs now; each `drover job dispatch resize` launches a child job.',
    );
  });
});
