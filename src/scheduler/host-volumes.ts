/**
 * Host volumes as placement constraints (Nomad's scheduler/feasible.go HostVolumeChecker): a
 * group's `volume "x" { type = "host", source = "data" }` needs a node whose drover.hcl block has
 * `host_volume "data"`, and one that is not read-only unless the request is read-only too.
 */
import type { NormalizedGroup as Group } from '../generated/normalized-job.js';
import type { Reasons } from './reasons.js';
import type { ClusterNode } from './types.js';

export interface HostVolumeCheck {
  kind: 'host-volume';
  source: string;
  /** The group's request is read-only: a read-only volume of the node serves it. */
  readOnly: boolean;
  /** Reason ids: the node lacks the volume; the node's volume is read-only. */
  reason: number;
  readOnlyReason: number;
}

/** Texts of the reasons, as the plan prints them after "1 node …". */
export const missingHostVolume = (source: string): string => `missing host volume ${source}`;
export const readOnlyHostVolume = (source: string): string => `read-only host volume ${source}`;

/**
 * How a plan words nodes filtered by a host volume ("1 node missing host volume data", "2 nodes
 * with read-only host volume data"); undefined for any other constraint text.
 */
export function hostVolumeFiltered(count: string, text: string): string | undefined {
  if (text.startsWith('missing host volume ')) return `${count} ${text}`;
  if (text.startsWith('read-only host volume ')) return `${count} with ${text}`;
  return undefined;
}

/** Why one node was rejected, when a host volume is why ("missing host volume data"). */
export function hostVolumeRejection(text: string): string | undefined {
  if (text.startsWith('missing host volume ')) return text;
  if (text.startsWith('read-only host volume ')) return `${text} (the job asks for read-write)`;
  return undefined;
}

/** One check per host volume source the group asks for; CSI volumes are refused before here. */
export function hostVolumeChecks(group: Group, reasons: Reasons): HostVolumeCheck[] {
  const bySource = new Map<string, boolean>();
  for (const v of group.volume ?? []) {
    if ((v.type ?? 'host') !== 'host' || !v.source) continue;
    // Two requests of one source: read-write wins, the stricter need.
    bySource.set(v.source, (bySource.get(v.source) ?? true) && v.read_only === true);
  }
  return [...bySource].map(([source, readOnly]) => ({
    kind: 'host-volume',
    source,
    readOnly,
    reason: reasons.id('constraint', missingHostVolume(source)),
    readOnlyReason: reasons.id('constraint', readOnlyHostVolume(source)),
  }));
}

/** The reason id the node fails the check with, or −1. */
export function failingHostVolume(check: HostVolumeCheck, node: ClusterNode): number {
  const vol = node.hostVolumes?.[check.source];
  if (vol === undefined || !Object.prototype.hasOwnProperty.call(node.hostVolumes, check.source))
    return check.reason;
  if (vol.read_only && !check.readOnly) return check.readOnlyReason;
  return -1;
}
