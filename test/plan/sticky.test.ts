import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';
import { encodeStoredJob } from '../../src/jobspec/stored.js';
import type { DesiredJob } from '../../src/plan/compute.js';
import { describeSticky, stickyRefusal, stickyRollbacks } from '../../src/plan/sticky.js';
import { emptyState } from '../../src/state/snapshot.js';
import type { JobVersion, StateSnapshot, VersionOrigin } from '../../src/state/types.js';

function desired(count: number): Extract<DesiredJob, { kind: 'run' }> {
  const src = `job "web" {
  group "app" {
    count = ${count}
    task "app" {
      driver = "mock"
      config {}
    }
  }
}
`;
  const d = new Diagnostics();
  const j = loadJobSource(
    src,
    'jobs/web.nomad.hcl',
    { inputs: { vars: [], varFiles: [], env: {} } },
    d,
  );
  expect(d.items.filter((x) => x.severity === 'error')).toEqual([]);
  return {
    kind: 'run',
    id: 'web',
    job: j!.job,
    submitted: j!.submitted,
    source: src,
    filename: 'jobs/web.nomad.hcl',
    origin: { kind: 'file', file: 'jobs/web.nomad.hcl' },
  };
}

function version(n: number, count: number, origin: VersionOrigin, actor = 'ci-bot'): JobVersion {
  const d = desired(count);
  return {
    version: n,
    submitted_at: `2026-12-07T0${n}:00:00.000Z`,
    source: d.source,
    filename: d.filename,
    submitted: d.submitted,
    ...encodeStoredJob(d.job),
    stable: true,
    status: 'running',
    origin,
    actor,
  };
}

const file: VersionOrigin = { kind: 'file', file: 'jobs/web.nomad.hcl' };

/** web: v0 with count 1, v1 with count 2, then `last` (v2). */
function state(last: JobVersion | undefined, stopped = false): StateSnapshot {
  const s = emptyState('00000000-0000-4000-8000-000000000000');
  s.jobs.web = {
    versions: [version(0, 1, file), version(1, 2, file), ...(last ? [last] : [])],
    stopped,
  };
  return s;
}

const rollback = version(2, 1, {
  kind: 'rollback',
  source_version: 0,
  reverted_from: 1,
  reason: 'too many',
});
const autoRevert = version(
  2,
  1,
  {
    kind: 'auto-revert',
    source_version: 0,
    reverted_from: 1,
    reason: 'Failed due to unhealthy allocations',
  },
  'ada@box',
);

describe('sticky rollbacks', () => {
  it('holds back the jobspec of the version a rollback left', () => {
    const [s] = stickyRollbacks(state(rollback), [desired(2)]);
    expect(s).toEqual({
      job: 'web',
      filename: 'jobs/web.nomad.hcl',
      revertedFrom: 1,
      current: 2,
      sourceVersion: 0,
      kind: 'rollback',
      at: '2026-12-07T02:00:00.000Z',
      actor: 'ci-bot',
      reason: 'too many',
    });
    expect(describeSticky(s!)).toBe(
      'job "web" in jobs/web.nomad.hcl is version 1, which was rolled back to version 0 (now version 2) at 2026-12-07T02:00:00.000Z by ci-bot: too many',
    );
  });

  it('holds back the jobspec of a version auto-reverted, saying so', () => {
    const found = stickyRollbacks(state(autoRevert), [desired(2)]);
    expect(found).toHaveLength(1);
    expect(stickyRefusal(found)).toBe(
      'refusing to roll forward to a version rolled back since:\n' +
        '  job "web" in jobs/web.nomad.hcl is version 1, which failed its deployment and was auto-reverted to version 0 (now version 2) at 2026-12-07T02:00:00.000Z by ada@box: Failed due to unhealthy allocations\n' +
        'Change the jobspec (fix what failed), or plan again with -roll-forward to apply it anyway.',
    );
  });

  it('lets a changed jobspec through', () => {
    expect(stickyRollbacks(state(rollback), [desired(3)])).toEqual([]);
  });

  it('lets the rolled-back-to jobspec through (it changes nothing)', () => {
    expect(stickyRollbacks(state(rollback), [desired(1)])).toEqual([]);
  });

  it('forgets the rollback once a later version was applied', () => {
    const later = version(3, 3, file);
    const s = state(rollback);
    s.jobs.web!.versions.push(later);
    expect(stickyRollbacks(s, [desired(2)])).toEqual([]);
  });

  it('holds nothing back without a rollback, for a stopped job, or a new job', () => {
    expect(stickyRollbacks(state(undefined), [desired(2)])).toEqual([]);
    expect(stickyRollbacks(state(version(2, 3, { kind: 'scale' })), [desired(2)])).toEqual([]);
    expect(stickyRollbacks(state(rollback, true), [desired(2)])).toEqual([]);
    expect(
      stickyRollbacks(emptyState('00000000-0000-4000-8000-000000000000'), [desired(2)]),
    ).toEqual([]);
  });

  it('reads states from before origins were recorded', () => {
    const old = state(undefined);
    for (const v of old.jobs.web!.versions) delete v.origin;
    expect(stickyRollbacks(old, [desired(2)])).toEqual([]);
  });
});
