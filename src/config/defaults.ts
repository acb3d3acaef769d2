/**
 * Fills every default of drover.hcl and makes local paths absolute: the file as written
 * (`ConfigFile`, already validated) → the `DroverConfig` the rest of drover works on. Pure: what
 * it needs to know about the machine comes in as `HostFacts`.
 */
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import type { HostVolume, NodeSpec } from './node-spec.js';
import type {
  ConfigFile,
  DefaultsConfig,
  HostVolumeConfig,
  NodeConfig,
  StateConfig,
} from '../generated/config.js';
import { parsePortList } from './ports.js';
import { hookSpecs } from './hooks.js';
import type { ConfiguredNode, DroverConfig, HostFacts, StateSettings } from './types.js';

export const DEFAULT_STATE_PATH = '.drover/state.json';
export const DEFAULT_STATE_SCHEMA = 'drover';
export const DEFAULT_DATACENTER = 'dc1';
export const DEFAULT_NODE_POOL = 'default';
export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_DOCKER_PORT = 2376;
export const LOCAL_NODE_NAME = 'local';
/** Where allocations live on remote hosts, and on this one when drover runs as root. */
export const SYSTEM_ALLOC_ROOT = '/var/lib/drover/alloc';
/** Where allocations live on this host when drover runs as an ordinary user. */
export const USER_ALLOC_ROOT = '~/.local/share/drover/alloc';

/** The facts of the machine drover runs on. */
export function currentHost(): HostFacts {
  let username: string;
  try {
    username = userInfo().username;
  } catch {
    // No passwd entry (some containers run as an anonymous uid).
    username = process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
  return {
    cwd: process.cwd(),
    home: homedir(),
    username,
    isRoot: process.getuid?.() === 0,
  };
}

/** The configuration without a drover.hcl: local state in the working directory, one local node. */
export function embeddedConfig(host: HostFacts): DroverConfig {
  return applyConfigDefaults({}, host.cwd, host);
}

/**
 * @param baseDir the directory of drover.hcl: relative paths in it resolve against it.
 */
export function applyConfigDefaults(
  file: ConfigFile,
  baseDir: string,
  host: HostFacts,
): DroverConfig {
  const defaults = file.defaults ?? {};
  const written = file.node ?? [];
  // A file that declares no node (only state, say) keeps the default node, as with no file.
  const nodes = written.length > 0 ? written : [{ name: LOCAL_NODE_NAME }];
  return {
    state: stateSettings(file.state ?? {}, baseDir, host),
    ...(file.variables?.keyring !== undefined
      ? { variablesKeyring: localPath(file.variables.keyring, baseDir, host) }
      : {}),
    scheduler: defaults.scheduler ?? 'binpack',
    images: { ship: file.images?.ship ?? true },
    ...(file.hook?.length ? { hooks: hookSpecs(file.hook) } : {}),
    ...(file.stack?.atomic ? { atomic: true } : {}),
    ...(file.approvals
      ? {
          approvals: {
            required: file.approvals.required ?? 0,
            allowSelf: file.approvals.allow_self ?? true,
          },
        }
      : {}),
    prune: file.stack?.prune ?? true,
    nodes: nodes.map((n) => nodeDefaults(n, defaults, baseDir, host)),
  };
}

function stateSettings(state: StateConfig, baseDir: string, host: HostFacts): StateSettings {
  const path = localPath(state.path ?? DEFAULT_STATE_PATH, baseDir, host);
  if (state.backend !== 'postgres') return { backend: 'local', path };
  return {
    backend: 'postgres',
    path,
    ...(state.url !== undefined ? { url: state.url } : {}),
    schema: state.schema ?? DEFAULT_STATE_SCHEMA,
    lockMode: state.lock_mode ?? 'session',
  };
}

/** The transport a node block gets when it names none. */
export function impliedTransport(node: NodeConfig): NodeSpec['transport'] {
  return node.transport ?? (node.address !== undefined ? 'ssh' : 'local');
}

function nodeDefaults(
  node: NodeConfig,
  defaults: DefaultsConfig,
  baseDir: string,
  host: HostFacts,
): ConfiguredNode {
  const transport = impliedTransport(node);
  const out: ConfiguredNode = {
    name: node.name,
    transport,
    datacenter: node.datacenter ?? defaults.datacenter ?? DEFAULT_DATACENTER,
    node_pool: node.node_pool ?? defaults.node_pool ?? DEFAULT_NODE_POOL,
    meta: { ...definedEntries(node.meta ?? {}) },
    alloc_root: allocRoot(node.alloc_root ?? defaults.alloc_root, transport, host),
    ...(transport === 'ssh' && (node.alloc_root ?? defaults.alloc_root) === undefined
      ? { alloc_root_fallback: USER_ALLOC_ROOT }
      : {}),
    reserved: {
      cpu: node.reserved?.cpu ?? 0,
      memory: node.reserved?.memory ?? 0,
      disk: node.reserved?.disk ?? 0,
      ports: reservedPorts(node.reserved?.ports),
    },
  };
  if (node.class !== undefined) out.class = node.class;
  const volumes = hostVolumes([...(node.host_volume ?? []), ...(defaults.host_volume ?? [])]);
  if (Object.keys(volumes).length > 0) out.host_volumes = volumes;
  if (node.address !== undefined) out.address = node.address;
  if (transport === 'ssh') {
    out.port = node.port ?? DEFAULT_SSH_PORT;
    out.user = node.user ?? defaults.user ?? host.username;
    const identity = node.identity ?? defaults.identity;
    if (identity !== undefined) out.identity = localPath(identity, baseDir, host);
    const bastion = node.bastion ?? defaults.bastion;
    if (bastion !== undefined) out.bastion = bastion;
  }
  if (transport === 'docker') {
    const dockerHost = node.docker_host ?? defaultDockerHost(node.address);
    if (dockerHost !== undefined) out.docker_host = dockerHost;
    const address = node.address ?? (dockerHost && addressOf(dockerHost));
    if (address) out.address = address;
    if (node.tls) out.tls = tlsFiles(node.tls, baseDir, host);
  }
  return out;
}

/**
 * By name, the first of a name winning: the node's own before the defaults block's (the rules
 * reject a name written twice in one block).
 */
function hostVolumes(written: readonly HostVolumeConfig[]): Record<string, HostVolume> {
  const out: Record<string, HostVolume> = {};
  for (const v of written)
    out[v.name] ??= {
      path: posix.normalize(v.path).replace(/(.)\/+$/, '$1'),
      read_only: v.read_only ?? false,
    };
  return out;
}

function allocRoot(
  written: string | undefined,
  transport: NodeSpec['transport'],
  host: HostFacts,
): string {
  if (transport !== 'local') return written ?? SYSTEM_ALLOC_ROOT;
  const root = written ?? (host.isRoot ? SYSTEM_ALLOC_ROOT : USER_ALLOC_ROOT);
  return expandHome(root, host);
}

function tlsFiles(
  tls: NonNullable<NodeConfig['tls']>,
  baseDir: string,
  host: HostFacts,
): NonNullable<NodeSpec['tls']> {
  const out: NonNullable<NodeSpec['tls']> = {};
  if (tls.ca !== undefined) out.ca = localPath(tls.ca, baseDir, host);
  if (tls.cert !== undefined) out.cert = localPath(tls.cert, baseDir, host);
  if (tls.key !== undefined) out.key = localPath(tls.key, baseDir, host);
  return out;
}

function reservedPorts(text: string | undefined): number[] {
  if (text === undefined) return [];
  const parsed = parsePortList(text);
  // The rules reject a bad list before defaults are filled; stay total regardless.
  return 'ports' in parsed ? parsed.ports : [];
}

function defaultDockerHost(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const host = address.includes(':') ? `[${address}]` : address;
  return `tcp://${host}:${DEFAULT_DOCKER_PORT}`;
}

/** The host of a tcp:// or http(s):// Docker endpoint; undefined for unix sockets. */
function addressOf(dockerHost: string): string | undefined {
  try {
    const url = new URL(dockerHost);
    if (url.protocol === 'unix:' || url.hostname === '') return undefined;
    return url.hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

/** A path on this machine: `~/` is the home directory, relative paths are relative to baseDir. */
export function localPath(p: string, baseDir: string, host: HostFacts): string {
  const expanded = expandHome(p, host);
  return isAbsolute(expanded) ? expanded : resolve(baseDir, expanded);
}

function expandHome(p: string, host: HostFacts): string {
  if (p === '~') return host.home;
  return p.startsWith('~/') ? join(host.home, p.slice(2)) : p;
}

function definedEntries(m: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) out[k] = v;
  return out;
}
