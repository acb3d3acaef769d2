import { describe, expect, it } from 'vitest';
import {
  displayJob,
  hostJobName,
  idInNamespace,
  jobIdentity,
  jobKey,
  jobKeysIn,
  keyCollision,
  keyOfJob,
  missingJobMessage,
  namespacesHolding,
  namespacesInUse,
  NAMESPACE_NAME,
  splitJobKey,
} from '../../src/state/job-key.js';
import type { StateSnapshot } from '../../src/state/types.js';

/** A state holding jobs with the given (key, namespace, id) and one version each. */
function stateOf(
  jobs: [key: string, namespace: string, id: string][],
): Pick<StateSnapshot, 'jobs'> {
  return {
    jobs: Object.fromEntries(
      jobs.map(([key, namespace, id]) => [
        key,
        {
          stopped: false,
          versions: [
            {
              version: 0,
              submitted_at: '2026-01-01T00:00:00Z',
              source: '',
              filename: 'x.nomad.hcl',
              submitted: {},
              job: { id, namespace },
              stable: false,
              status: 'running' as const,
            },
          ],
        },
      ]),
    ),
  };
}

describe('job keys', () => {
  it.each([
    ['default', 'web', 'web'],
    [undefined, 'web', 'web'],
    ['', 'web', 'web'],
    ['prod', 'web', 'prod/web'],
    ['dev-2', 'batch/periodic-1700000000', 'dev-2/batch/periodic-1700000000'],
  ])('namespace %j, id %j: key %j', (namespace, id, key) => {
    expect(jobKey(namespace, id)).toBe(key);
    expect(keyOfJob({ id, namespace })).toBe(key);
  });

  it('splits a key back when the state does not say (a default id has no namespace prefix)', () => {
    expect(splitJobKey('web')).toEqual({ namespace: 'default', id: 'web' });
    expect(splitJobKey('prod/web')).toEqual({ namespace: 'prod', id: 'web' });
    expect(splitJobKey('/web')).toEqual({ namespace: 'default', id: '/web' });
    expect(splitJobKey('bad ns/web')).toEqual({ namespace: 'default', id: 'bad ns/web' });
  });

  it("reads the job's recorded namespace: a default job's child `batch/periodic-1` stays in default", () => {
    const state = stateOf([
      ['batch/periodic-1', 'default', 'batch/periodic-1'],
      ['prod/web', 'prod', 'web'],
    ]);
    expect(jobIdentity(state, 'batch/periodic-1')).toEqual({
      namespace: 'default',
      id: 'batch/periodic-1',
    });
    expect(jobIdentity(state, 'prod/web')).toEqual({ namespace: 'prod', id: 'web' });
    // Not in state: split from the key.
    expect(jobIdentity(state, 'dev/api')).toEqual({ namespace: 'dev', id: 'api' });
  });

  it('lists keys per namespace, the namespaces in use, and where an id exists', () => {
    const state = stateOf([
      ['web', 'default', 'web'],
      ['prod/web', 'prod', 'web'],
      ['prod/db', 'prod', 'db'],
      ['dev/web', 'dev', 'web'],
    ]);
    expect(jobKeysIn(state, 'prod').sort()).toEqual(['prod/db', 'prod/web']);
    expect(jobKeysIn(state, 'default')).toEqual(['web']);
    expect(jobKeysIn(state, '*')).toHaveLength(4);
    expect(jobKeysIn(state, 'qa')).toEqual([]);
    expect(namespacesInUse(state)).toEqual(['default', 'dev', 'prod']);
    expect(namespacesInUse(stateOf([]))).toEqual(['default']);
    expect(namespacesHolding(state, 'web')).toEqual(['default', 'dev', 'prod']);
    expect(namespacesHolding(state, 'db')).toEqual(['prod']);
  });

  it('says where else a missing job exists', () => {
    const state = stateOf([
      ['prod/web', 'prod', 'web'],
      ['dev/web', 'dev', 'web'],
    ]);
    expect(missingJobMessage(state, 'default', 'web')).toBe(
      'no job "web" in namespace "default"; it exists in: dev, prod',
    );
    expect(missingJobMessage(state, 'prod', 'web')).toBe(
      'no job "web" in namespace "prod"; it exists in: dev',
    );
    expect(missingJobMessage(state, 'default', 'api')).toBe('no job "api" in namespace "default"');
  });

  it('names jobs on hosts and to people', () => {
    expect(hostJobName({ namespace: 'default', id: 'web' })).toBe('web');
    expect(hostJobName({ namespace: 'prod', id: 'web' })).toBe('prod.web');
    expect(displayJob({ namespace: 'prod', id: 'web' })).toBe('prod/web');
    expect(idInNamespace('prod/web/periodic-1', 'prod')).toBe('web/periodic-1');
    expect(idInNamespace('web/periodic-1', 'default')).toBe('web/periodic-1');
  });

  it('refuses the one collision the keys allow, naming both jobs', () => {
    const existing = { namespace: 'default', id: 'prod/web' };
    const next = { namespace: 'prod', id: 'web' };
    expect(keyCollision(undefined, next)).toBeUndefined();
    expect(keyCollision(next, { ...next })).toBeUndefined();
    const message = keyCollision(existing, next);
    expect(message).toContain('job "web" in namespace "prod"');
    expect(message).toContain('job "prod/web" in namespace "default"');
    expect(message).toContain('"prod/web"');
  });

  it("follows Nomad's namespace names", () => {
    for (const ok of ['default', 'prod', 'team-a', 'A1', 'x'.repeat(128)])
      expect(NAMESPACE_NAME.test(ok), ok).toBe(true);
    for (const bad of ['', 'a/b', 'a b', 'a.b', 'a_b', '*', 'x'.repeat(129)])
      expect(NAMESPACE_NAME.test(bad), bad).toBe(false);
  });
});
