import { describe, expect, it } from 'vitest';
import { hostVolumeMounts } from '../../src/deploy/volume-mounts.js';
import { job } from '../scheduler/fixtures.js';

const j = job(`
job "j" {
  group "g" {
    volume "rw" {
      type   = "host"
      source = "data"
    }
    volume "ro" {
      type      = "host"
      source    = "data"
      read_only = true
    }
    task "t" {
      driver = "docker"
      config {
        image = "busybox:1"
      }
      volume_mount {
        volume      = "rw"
        destination = "/a"
      }
      volume_mount {
        volume      = "ro"
        destination = "/b"
      }
      volume_mount {
        volume           = "rw"
        destination      = "/c"
        read_only        = true
        propagation_mode = "host-to-task"
      }
    }
  }
}
`);
const group = j.group[0]!;
const task = group.task[0]!;

describe('hostVolumeMounts', () => {
  it('resolves each mount to the node path, read-only when the request or mount says so', () => {
    const node = { name: 'n1', host_volumes: { data: { path: '/srv/data', read_only: false } } };
    expect(hostVolumeMounts(group, task, node)).toEqual([
      { source: '/srv/data', destination: '/a', readOnly: false, propagation: 'private' },
      { source: '/srv/data', destination: '/b', readOnly: true, propagation: 'private' },
      { source: '/srv/data', destination: '/c', readOnly: true, propagation: 'host-to-task' },
    ]);
  });

  it('is read-only everywhere when the host volume is', () => {
    const node = { name: 'n1', host_volumes: { data: { path: '/srv/data', read_only: true } } };
    expect(hostVolumeMounts(group, task, node).map((m) => m.readOnly)).toEqual([true, true, true]);
  });

  it('refuses to start a task on a node without the volume, saying what to add', () => {
    expect(() => hostVolumeMounts(group, task, { name: 'n2' })).toThrow(
      /node "n2" has no host volume "data".*host_volume "data"/,
    );
  });
});
