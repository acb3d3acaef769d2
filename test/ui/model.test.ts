/** The UI's pure parts: job status and filters, the rollout drawing, the line diff, permissions. */
import { describe, expect, it } from 'vitest';
import {
  filterJobs,
  filterLines,
  foldUnchanged,
  jobStatus,
  lineDiff,
  relative,
  rolloutSteps,
  sortJobs,
  toDate,
  type DeploymentGroup,
  type JobStub,
} from '../../ui/src/model.js';
import { capabilitiesIn, globMatches, may, type WhoAmI } from '../../ui/src/permissions.js';

function job(
  id: string,
  o: Partial<JobStub> & { failed?: number; running?: number } = {},
): JobStub {
  const { failed = 0, running = 0, ...rest } = o;
  return {
    ID: id,
    Name: id,
    Namespace: 'default',
    Type: 'service',
    Status: running ? 'running' : 'dead',
    Periodic: false,
    ParameterizedJob: false,
    ParentID: '',
    Stop: false,
    SubmitTime: 0,
    JobSummary: {
      Summary: {
        g: { Queued: 0, Complete: 0, Failed: failed, Running: running, Starting: 0, Lost: 0 },
      },
    },
    ...rest,
  };
}

describe('job status, filters and sorting', () => {
  it('calls a job failed when allocations failed and none runs', () => {
    expect(jobStatus(job('a', { failed: 1 }))).toBe('failed');
    expect(jobStatus(job('b', { failed: 1, running: 1 }))).toBe('running');
    expect(jobStatus(job('c'))).toBe('dead');
  });

  it('filters by status, type, namespace and text, and sorts both ways', () => {
    const jobs = [
      job('web', { running: 2 }),
      job('etl', { failed: 1, Type: 'batch' }),
      job('api', { running: 1, Namespace: 'prod', SubmitTime: 5 }),
    ];
    const none = { status: '', type: '', namespace: '', text: '' };
    expect(filterJobs(jobs, { ...none, status: 'failed' }).map((j) => j.ID)).toEqual(['etl']);
    expect(filterJobs(jobs, { ...none, type: 'batch' }).map((j) => j.ID)).toEqual(['etl']);
    expect(filterJobs(jobs, { ...none, namespace: 'prod' }).map((j) => j.ID)).toEqual(['api']);
    expect(filterJobs(jobs, { ...none, text: 'W' }).map((j) => j.ID)).toEqual(['web']);
    expect(sortJobs(jobs, 'name').map((j) => j.ID)).toEqual(['api', 'etl', 'web']);
    expect(sortJobs(jobs, '-name').map((j) => j.ID)).toEqual(['web', 'etl', 'api']);
    expect(sortJobs(jobs, '-submitted')[0]!.ID).toBe('api');
  });
});

describe('times', () => {
  it('reads Nomad nanoseconds, RFC 3339 and Go zero times', () => {
    expect(toDate(1_700_000_000_000_000_000)?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(toDate('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(relative('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:00Z'))).toBe('5m ago');
    expect(relative('2026-01-01T03:00:00Z', Date.parse('2026-01-01T00:30:00Z'))).toBe('in 2h');
  });
});

describe('rollout steps', () => {
  const g = (o: Partial<DeploymentGroup>): DeploymentGroup => ({
    DesiredCanaries: 0,
    DesiredTotal: 3,
    PlacedAllocs: 0,
    HealthyAllocs: 0,
    UnhealthyAllocs: 0,
    Promoted: false,
    PlacedCanaries: null,
    AutoPromote: false,
    ...o,
  });

  it('draws canaries, the promotion gate and batches of max_parallel', () => {
    const steps = rolloutSteps(
      g({ DesiredCanaries: 1, DesiredTotal: 4, PlacedAllocs: 1, HealthyAllocs: 1 }),
      2,
    );
    expect(steps.map((s) => [s.kind, s.size, s.healthy, s.done])).toEqual([
      ['canary', 1, 1, true],
      ['gate', 0, 0, false],
      ['batch', 2, 0, false],
      ['batch', 1, 0, false],
    ]);
  });

  it('fills batches in order as allocations become healthy', () => {
    const steps = rolloutSteps(g({ PlacedAllocs: 2, HealthyAllocs: 1 }), 1);
    expect(steps.map((s) => [s.placed, s.healthy])).toEqual([
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
  });
});

describe('line diff and line filter', () => {
  it('keeps common lines and marks the changed ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
    ]);
    expect(lineDiff('same', 'same').every((l) => l.op === ' ')).toBe(true);
  });

  it('folds long unchanged runs to a few lines of context around each change', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const b = a.replace('line 10', 'line ten');
    const folded = foldUnchanged(lineDiff(a, b), 2);
    expect(folded.map((l) => `${l.op}${l.text}`)).toEqual([
      '…8 unchanged lines',
      ' line 8',
      ' line 9',
      '-line 10',
      '+line ten',
      ' line 11',
      ' line 12',
      '…7 unchanged lines',
    ]);
  });

  it('filters lines case-insensitively', () => {
    expect(filterLines('Error one\nok\nerror two', 'ERROR')).toBe('Error one\nerror two');
    expect(filterLines('a\nb', '')).toBe('a\nb');
  });
});

describe('permissions from whoami', () => {
  const who: WhoAmI = {
    ACLEnabled: true,
    Actor: 'dev',
    Management: false,
    Namespaces: { 'prod-*': ['read-job'], prod: ['read-job', 'submit-job'], '*': ['list-jobs'] },
    Node: 'read',
    ApproveRequired: 0,
  };

  it('prefers the exact namespace, then the longest matching glob', () => {
    expect(globMatches('prod-*', 'prod-eu')).toBe(true);
    expect(globMatches('prod-*', 'prod')).toBe(false);
    expect(capabilitiesIn(who, 'prod')).toEqual(['read-job', 'submit-job']);
    expect(capabilitiesIn(who, 'prod-eu')).toEqual(['read-job']);
    expect(capabilitiesIn(who, 'dev')).toEqual(['list-jobs']);
    expect(may(who, 'submit-job', 'prod')).toBe(true);
    expect(may(who, 'submit-job', 'prod-eu')).toBe(false);
    expect(may({ ...who, Management: true }, 'submit-job', 'x')).toBe(true);
  });
});
