/**
 * Templates at plan time: a kept allocation whose template renders differently from the hash
 * recorded when it was written is a template change (with its change_mode); an unchanged render,
 * a `once` template or an allocation the plan replaces is not; a render that fails is a plan
 * error naming the allocation, task and template. Real local transport and raw_exec driver.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { planTemplates } from '../../src/deploy/template-plan.js';
import type { NormalizedJob } from '../../src/generated/normalized-job.js';
import type { JobPlan } from '../../src/generated/plan.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { Allocation, StateSnapshot } from '../../src/state/types.js';
import type { VariableReader } from '../../src/template/context.js';
import { localTransportFixture } from '../support/local-transport.js';
import { counts, groupPlan, jobPlan, loadJob } from '../plan/plan-builder.js';

const local = localTransportFixture('drover-template-plan-');
const ALLOC = '0f0e0d0c-0000-4000-8000-000000000001';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const source = (template: string) => `
job "web" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
      ${template}
    }
  }
}`;

const SIGNAL = `template {
        destination   = "local/app.conf"
        data          = "greeting={{ with nomadVar \\"nomad/jobs/web\\" }}{{ .greeting }}{{ end }}\\n"
        change_mode   = "signal"
        change_signal = "SIGHUP"
        splay         = "3s"
      }`;

/** Variables from a plain map: what `drover var put` would have stored. */
function variables(items: Record<string, Record<string, string>>): VariableReader {
  const meta = (path: string) => ({
    Namespace: 'default',
    Path: path,
    CreateIndex: 1,
    ModifyIndex: 1,
    CreateTime: 0,
    ModifyTime: 0,
  });
  return {
    get: (path) => (items[path] ? { meta: meta(path), items: items[path] } : undefined),
    list: (prefix) =>
      Object.keys(items)
        .filter((p) => p.startsWith(prefix))
        .sort()
        .map(meta),
  };
}

/** A state where version 0 of the job runs in one allocation, its file written with `written`. */
function stateWith(job: NormalizedJob, written: string | undefined): StateSnapshot {
  const s = emptyState('6f1c2a4e-8d3b-4c7a-9e5f-0b1d2c3e4f50');
  const alloc: Allocation = {
    id: ALLOC,
    job: 'web',
    version: 0,
    group: 'g',
    index: 0,
    node: 'local',
    name: 'web.g[0]',
    desired_status: 'run',
    client_status: 'running',
    task_states: {},
    driver_handles: { t: { driver: 'raw_exec' } },
    ports: [],
    ...(written !== undefined
      ? { template_hashes: { t: { 'local/app.conf': sha(written) } } }
      : {}),
    created_at: '2026-01-01T00:00:00.000Z',
    modified_at: '2026-01-01T00:00:00.000Z',
  };
  return {
    ...s,
    jobs: {
      web: {
        stopped: false,
        versions: [
          {
            version: 0,
            submitted_at: '2026-01-01T00:00:00.000Z',
            source: '',
            filename: 'web.nomad.hcl',
            submitted: {},
            ...encodeStoredJob(job),
            stable: true,
            status: 'running',
          },
        ],
      },
    },
    allocations: { [ALLOC]: alloc },
  };
}

function run(template: string, written: string | undefined, greeting?: string, plan?: JobPlan) {
  const loaded = loadJob(source(template));
  const transport = local.transport();
  const unchanged =
    plan ??
    jobPlan({
      next: loaded,
      prior: loaded.job,
      groups: [groupPlan('g', { counts: counts({ ignore: 1 }) })],
    });
  return planTemplates([unchanged], {
    state: stateWith(loaded.job, written),
    nodes: new Map([['local', transport.node]]),
    transport: () => transport,
    driver: (name) => (name === 'raw_exec' ? new RawExecDriver() : undefined),
    facts: () => ({ attributes: {}, meta: {}, name: 'local', datacenter: 'dc1' }),
    readers: {
      variables: variables(greeting ? { 'nomad/jobs/web': { greeting } } : {}),
    },
  });
}

describe('planTemplates', () => {
  it('finds nothing when the render is what was written', () => {
    const r = run(SIGNAL, 'greeting=hello\n', 'hello');
    expect(r.errors).toEqual([]);
    expect(r.changes.size).toBe(0);
  });

  it('lists a template whose render changed, with its change_mode, signal and splay', () => {
    const r = run(SIGNAL, 'greeting=hello\n', 'bonjour');
    expect(r.errors).toEqual([]);
    expect(r.changes.get('web')).toEqual([
      {
        alloc_id: ALLOC,
        alloc_name: 'web.g[0]',
        node: 'local',
        task: 't',
        destination: 'local/app.conf',
        change_mode: 'signal',
        change_signal: 'SIGHUP',
        splay_ms: 3000,
      },
    ]);
  });

  it('leaves alone a once template, a file with no recorded hash and a replaced allocation', () => {
    expect(run(SIGNAL.replace('splay', 'once = true\n splay'), 'x', 'b').changes.size).toBe(0);
    expect(run(SIGNAL, undefined, 'b').changes.size).toBe(0);
    const loaded = loadJob(source(SIGNAL));
    const replacing = jobPlan({
      next: loaded,
      prior: loaded.job,
      groups: [
        groupPlan('g', {
          counts: counts({ destroy: 1 }),
          stops: [{ alloc_id: ALLOC, name: 'web.g[0]', node: 'local', reason: 'stop' }],
        }),
      ],
    });
    expect(run(SIGNAL, 'x', 'b', replacing).changes.size).toBe(0);
  });

  it('makes a render that fails a plan error naming the allocation, task and template', () => {
    const r = run(SIGNAL.replace('with nomadVar', 'with mustEnv \\"NOPE\\" | nomadVar'), 'x');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^web\.g\[0\] task "t": template "local\/app\.conf": line 1, column \d+: /,
    );
    expect(r.errors[0]).toContain('NOPE');
    // A literal escape is refused at validate (rules-sandbox); one known only once the node is
    // chosen is refused here, before anything runs.
    const dest = '${node.unique.name}/../../../etc/x';
    const escape = run(SIGNAL.replace('local/app.conf', dest), 'x', 'b');
    expect(escape.errors).toHaveLength(1);
    expect(escape.errors[0]).toMatch(
      /^web\.g\[0\] task "t": template "\$\{node\.unique\.name\}\/\.\.\/\.\.\/\.\.\/etc\/x": destination "[^"]*\/\.\.\/\.\.\/\.\.\/etc\/x" escapes the allocation directory$/,
    );
  });
});
