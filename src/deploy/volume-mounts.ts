/**
 * A task's `volume_mount`s resolved against its node: which host directory goes where, and
 * whether read-only. Pure; the container drivers bind what this returns (see
 * providers/types.ts `TaskContext.volumeMounts`).
 */
import type { HostVolume } from '../config/node-spec.js';
import type {
  NormalizedGroup as Group,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';
import type { HostVolumeMount } from '../../providers/types.js';

/**
 * Throws when the node lacks a volume the task mounts: placement makes sure it has them, so this
 * means drover.hcl changed since the plan, and the task must not start without its data.
 */
export function hostVolumeMounts(
  group: Group,
  task: Task,
  node: { name: string; host_volumes?: Record<string, HostVolume> },
): HostVolumeMount[] {
  const volumes = new Map((group.volume ?? []).map((v) => [v.name, v]));
  return (task.volume_mount ?? []).flatMap((m) => {
    const request = m.volume === undefined ? undefined : volumes.get(m.volume);
    if (!request || (request.type ?? 'host') !== 'host' || !request.source || !m.destination)
      return [];
    const own = Object.prototype.hasOwnProperty.call(node.host_volumes ?? {}, request.source);
    const host = own ? node.host_volumes![request.source]! : undefined;
    if (!host)
      throw new Error(
        `node "${node.name}" has no host volume "${request.source}" (volume "${request.name}"): add host_volume "${request.source}" { path = "…" } to its block in drover.hcl`,
      );
    // Read-only when any side says so (Nomad: the request, the mount or the host volume).
    const readOnly = host.read_only || request.read_only === true || m.read_only;
    return [
      { source: host.path, destination: m.destination, readOnly, propagation: m.propagation_mode },
    ];
  });
}
