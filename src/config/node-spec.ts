/**
 * A node of the inventory as drover.hcl declares it (see schemas/config.schema.json): what the
 * transports and drivers of `providers/` are given. It is defined here, with the configuration,
 * and imports nothing, so `providers/` depends on this one type of the config layer and the
 * config layer on nothing of `providers/`.
 */
export interface NodeSpec {
  name: string;
  transport: 'local' | 'ssh' | 'docker';
  address?: string;
  port?: number;
  user?: string;
  identity?: string;
  datacenter: string;
  class?: string;
  node_pool?: string;
  meta: Record<string, string>;
  /** Where process tasks live on the host: `<alloc_root>/<alloc-id>/`. */
  alloc_root: string;
  /**
   * Where they live instead when the SSH user cannot write `alloc_root` (`~/` is the user's home
   * on the host). Only for remote nodes whose alloc_root drover.hcl does not set: a configured
   * one is authoritative. The fingerprint records the root it chose.
   */
  alloc_root_fallback?: string;
  /** Docker API endpoint for `docker` transport nodes (tcp://host:2376) and TLS files. */
  docker_host?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  /** Directories of the host jobs may mount by name (`host_volume` blocks); absent: none. */
  host_volumes?: Record<string, HostVolume>;
}

/** A `host_volume` of a node: Nomad's client ClientHostVolumeConfig. */
export interface HostVolume {
  /** Absolute path on the host. */
  path: string;
  read_only: boolean;
}
