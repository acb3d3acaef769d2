import { describe, expect, it } from 'vitest';
import {
  comparableApplied,
  envMap,
  mountList,
  portList,
  withEngineEnv,
} from '../../providers/drivers/docker-drift.js';
import type { TaskObservation } from '../../providers/types.js';
import { compareTask } from '../../src/plan/drift.js';

describe('container views for drift', () => {
  it('reads binds without the options an engine adds by default', () => {
    expect(
      mountList(['/a:/alloc', '/l:/local:rw,rprivate,rbind', '/r:/ro:ro,rbind'], undefined),
    ).toEqual(['/a:/alloc', '/l:/local', '/r:/ro:ro']);
    expect(
      mountList(undefined, [{ Type: 'bind', Source: '/h', Target: '/data', ReadOnly: true }]),
    ).toEqual(['bind /h:/data:ro']);
  });

  it('writes published ports out, sorted', () => {
    expect(
      portList({
        '8080/udp': [{ HostIp: '127.0.0.1', HostPort: '2000' }],
        '8080/tcp': [{ HostIp: '', HostPort: '2000' }],
        '9/tcp': null,
      }),
    ).toEqual(['8080/tcp -> 0.0.0.0:2000', '8080/udp -> 127.0.0.1:2000']);
  });

  it('reads K=V lines, a value holding = included', () => {
    expect(envMap(['A=1', 'B=x=y', 'C'])).toEqual({ A: '1', B: 'x=y', C: '' });
  });

  it('counts variables the engine sets as the container’s own (podman)', () => {
    const obs: TaskObservation = {
      kind: 'container',
      applied: { env: { A: '1' } },
      found: {
        id: 'c',
        running: true,
        state: 'running',
        env: { A: '1', HOSTNAME: 'c0ffee', container: 'podman', EXTRA: '1' },
      },
      inherited: { env: {}, labels: {} },
    };
    expect(compareTask(withEngineEnv(obs, ['HOSTNAME', 'container']))).toEqual([
      { field: 'env[EXTRA]', applied: '(unset)', found: '"1"' },
    ]);
  });

  it('does not ask a container older than Nomad’s labels for them', () => {
    const applied = { labels: { 'drover.job': 'web', 'com.hashicorp.nomad.job_id': 'web' } };
    const old = { id: 'c', running: true, state: 'running', labels: { 'drover.job': 'web' } };
    expect(comparableApplied(applied, old).labels).toEqual({ 'drover.job': 'web' });
    const current = { ...old, labels: { ...old.labels, 'com.hashicorp.nomad.alloc_id': 'x' } };
    expect(comparableApplied(applied, current)).toBe(applied);
  });
});
