import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import type { Plan } from '../../src/generated/plan.js';
import { loadJobSource, type LoadedJob } from '../../src/jobspec/load.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import { diffJobs } from '../../src/plan/diff.js';
import { redactJobDiff, redactorFor, redactPlan, redactState } from '../../src/plan/redact.js';
import { renderJobDiffText } from '../../src/plan/render-text.js';
import type { StateSnapshot } from '../../src/state/types.js';

const OLD = 'old-secret-value';
const NEW = 'new-secret-value';

const SOURCE = `
variable "password" {
  type      = string
  sensitive = true
}
job "app" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      env {
        PASSWORD = var.password
        TOKEN    = "t-\${upper(var.password)}"
        PLAIN    = "plain-\${length(var.password) > 100 ? "long" : "short"}"
      }
    }
  }
}`;

function load(secret: string): LoadedJob {
  const diags = new Diagnostics();
  const job = loadJobSource(
    SOURCE,
    'app.nomad.hcl',
    { inputs: { vars: [`password=${secret}`], varFiles: [], env: {} } },
    diags,
  );
  if (!job) throw new Error(JSON.stringify(diags.items));
  return job;
}

const before = load(OLD);
const after = load(NEW);

function secretsIn(text: string): string[] {
  return [OLD, NEW, OLD.toUpperCase(), NEW.toUpperCase()].filter((s) => text.includes(s));
}

describe('a diff of sensitive values', () => {
  const diff = redactJobDiff(
    diffJobs(before.job, after.job),
    redactorFor([
      { job: before.job, sensitive: before.sensitive },
      { job: after.job, sensitive: after.sensitive },
    ]),
  );

  it('renders as a change of (sensitive) values in text', () => {
    const text = renderJobDiffText('app', diff);
    expect(text).toMatch(/Env\[PASSWORD\]: \(sensitive\) => \(sensitive\)/);
    expect(text).toMatch(/Env\[TOKEN\]: +\(sensitive\) => \(sensitive\)/);
    expect(secretsIn(text)).toEqual([]);
  });

  it('has (sensitive) as old and new in JSON', () => {
    const fields = diff.groups[0]!.tasks[0]!.fields.filter((f) => f.type === 'Edited');
    expect(fields.map((f) => [f.name, f.old, f.new])).toEqual([
      ['Env[PASSWORD]', '(sensitive)', '(sensitive)'],
      ['Env[TOKEN]', '(sensitive)', '(sensitive)'],
    ]);
  });

  it('hides the value of a version recorded before its variable was sensitive', () => {
    const shown = redactJobDiff(
      diffJobs(before.job, after.job),
      redactorFor([{ job: before.job }, { job: after.job, sensitive: after.sensitive }], true),
    );
    expect(secretsIn(renderJobDiffText('app', shown))).toEqual([]);
  });

  it('leaves a diff without sensitive values as it is', () => {
    const plain = diffJobs(before.job, after.job);
    expect(redactJobDiff(plain, redactorFor([{ job: before.job }]))).toBe(plain);
  });
});

describe('a plan as -json prints it', () => {
  it('hides the payload values, keeps the real plan intact', () => {
    const payload = {
      filename: after.filename,
      source: after.source,
      submitted: after.submitted,
      ...encodeStoredJob(after.job),
      sensitive: after.sensitive,
    };
    const plan = { jobs: [{ id: 'app', payload }] } as unknown as Plan;
    const shown = redactPlan(plan);
    expect(secretsIn(JSON.stringify(shown))).toEqual([]);
    expect(JSON.stringify(shown)).toContain('(sensitive)');
    expect(secretsIn(JSON.stringify(plan))).toEqual([NEW, NEW.toUpperCase()]);
  });
});

describe('the state as history, status and state show print it', () => {
  it('hides every version’s values, in jobs, submitted jobs, sources and events', () => {
    const version = (v: number, j: LoadedJob) => ({
      version: v,
      submitted_at: '2026-01-01T00:00:00.000Z',
      source: j.source,
      filename: j.filename,
      submitted: j.submitted,
      ...encodeStoredJob(j.job),
      sensitive: j.sensitive,
      stable: true,
      status: 'running' as const,
    });
    const state = {
      jobs: { app: { versions: [version(0, before), version(1, after)], stopped: false } },
      events: [{ detail: `task failed: bad password ${NEW}` }],
    } as unknown as StateSnapshot;
    const shown = redactState(state);
    const text = JSON.stringify(shown);
    expect(secretsIn(text)).toEqual([]);
    expect(shown.events[0]).toEqual({ detail: 'task failed: bad password (sensitive)' });
    const env = (shown.jobs.app!.versions[1]!.job as { group: { task: { env: object }[] }[] })
      .group[0]!.task[0]!.env;
    expect(env).toEqual({ PASSWORD: '(sensitive)', TOKEN: '(sensitive)', PLAIN: 'plain-short' });
    // The state itself is untouched: apply needs the values.
    expect(secretsIn(JSON.stringify(state)).sort()).toEqual(
      [NEW, OLD, NEW.toUpperCase(), OLD.toUpperCase()].sort(),
    );
  });

  it('hides the values of plans saved for review, which no version has yet', () => {
    const payload = {
      filename: after.filename,
      source: after.source,
      submitted: after.submitted,
      ...encodeStoredJob(after.job),
      sensitive: after.sensitive,
    };
    const hash = `sha256:${'a'.repeat(64)}`;
    const state = {
      jobs: {},
      events: [],
      plans: { [hash]: { plan: { hash, jobs: [{ id: 'app', payload }] }, serial: 1 } },
    } as unknown as StateSnapshot;
    const shown = JSON.stringify(redactState(state));
    expect(secretsIn(shown)).toEqual([]);
    expect(shown).toContain('(sensitive)');
    expect(secretsIn(JSON.stringify(state))).toEqual([NEW, NEW.toUpperCase()]);
  });
});
