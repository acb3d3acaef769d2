/**
 * Checks of drover.hcl that the schema cannot express: unique node names, what each transport
 * needs, port lists, paths that only make sense on this machine, and files that should exist
 * (warnings: a key may be put in place before drover connects).
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import type { ConfigFile, HostVolumeConfig, NodeConfig } from '../generated/config.js';
import { pointer, type RangeIndex } from '../jobspec/ranges.js';
import { impliedTransport, localPath } from './defaults.js';
import { parsePortList } from './ports.js';
import { checkStateRules } from './state-rules.js';
import { checkHookRules } from './hooks.js';
import type { HostFacts } from './types.js';

export interface RuleContext {
  /** The directory of drover.hcl. */
  baseDir: string;
  host: HostFacts;
  /** Whether a file exists on this machine (identity keys, TLS files). */
  fileExists: (path: string) => boolean;
}

/** Arguments that mean nothing for a transport, so setting them is likely a mistake. */
const IGNORED: Record<'local' | 'ssh' | 'docker', readonly (keyof NodeConfig)[]> = {
  local: ['port', 'user', 'identity', 'bastion', 'docker_host', 'tls'],
  ssh: ['docker_host', 'tls'],
  docker: ['port', 'user', 'identity', 'bastion'],
};

const IMPLIED =
  ' With no "transport" set, a node with an address uses "ssh" and a node without one uses "local".';

export function checkConfigRules(
  file: ConfigFile,
  ranges: RangeIndex,
  diags: Diagnostics,
  ctx: RuleContext,
): void {
  const nodes = file.node ?? [];
  const firstLine = new Map<string, number>();
  nodes.forEach((node, i) => {
    const at = (...path: (string | number)[]) => pointer('node', i, ...path);
    const line = ranges.nameRange(at()).start.line;
    const first = firstLine.get(node.name);
    if (first === undefined) firstLine.set(node.name, line);
    else
      diags.error(
        'Duplicate node',
        ranges.valueRange(at('name')),
        `A node named "${node.name}" is already defined at line ${first}. Node names must be unique.`,
      );
    checkTransport(node, at(), ranges, diags);
    checkPorts(node, at('reserved', 'ports'), ranges, diags);
    checkHostVolumes(node.host_volume, `node "${node.name}"`, at(), ranges, diags);
    const transport = impliedTransport(node);
    if (transport === 'ssh' && node.identity !== undefined)
      checkFile('Identity file not found', node.identity, at('identity'), ranges, diags, ctx);
    for (const part of ['ca', 'cert', 'key'] as const) {
      const f = node.tls?.[part];
      if (transport === 'docker' && f !== undefined)
        checkFile('TLS file not found', f, at('tls', part), ranges, diags, ctx);
    }
  });
  // The default key matters only if an ssh node takes it.
  const identity = file.defaults?.identity;
  const takesDefault = nodes.some((n) => impliedTransport(n) === 'ssh' && n.identity === undefined);
  if (identity !== undefined && takesDefault)
    checkFile('Identity file not found', identity, '/defaults/identity', ranges, diags, ctx);
  checkHostVolumes(file.defaults?.host_volume, 'The defaults block', '/defaults', ranges, diags);
  checkAllocRoots(file, ranges, diags);
  checkStateRules(file, ranges, diags);
  checkHookRules(file, ranges, diags);
}

function checkTransport(node: NodeConfig, at: string, ranges: RangeIndex, diags: Diagnostics) {
  const transport = impliedTransport(node);
  if (transport === 'ssh' && node.address === undefined)
    diags.error(
      'Missing required argument',
      ranges.nameRange(at),
      `The argument "address" is required for nodes with transport "ssh": the host name or IP address to connect to.`,
    );
  if (transport === 'docker' && node.address === undefined && node.docker_host === undefined)
    diags.error(
      'Missing required argument',
      ranges.nameRange(at),
      `Nodes with transport "docker" need "address" or "docker_host" (like "tcp://10.0.0.5:2376"): where the Docker API is.`,
    );
  for (const name of IGNORED[transport]) {
    if (node[name] === undefined) continue;
    diags.warning(
      'Argument has no effect',
      ranges.nameRange(`${at}/${name}`),
      `"${name}" is not used by nodes with transport "${transport}".${node.transport === undefined ? IMPLIED : ''}`,
    );
  }
}

function checkPorts(node: NodeConfig, at: string, ranges: RangeIndex, diags: Diagnostics) {
  const text = node.reserved?.ports;
  if (text === undefined) return;
  const parsed = parsePortList(text);
  if ('error' in parsed)
    diags.error('Invalid value for "ports"', ranges.valueRange(at), parsed.error);
}

/** Names unique within a block (Nomad keys them by name). Paths: the schema wants them absolute. */
function checkHostVolumes(
  volumes: readonly HostVolumeConfig[] | undefined,
  owner: string,
  at: string,
  ranges: RangeIndex,
  diags: Diagnostics,
) {
  const firstLine = new Map<string, number>();
  (volumes ?? []).forEach((v, k) => {
    const vp = `${at}${pointer('host_volume', k)}`;
    const line = ranges.nameRange(vp).start.line;
    const first = firstLine.get(v.name);
    if (first === undefined) firstLine.set(v.name, line);
    else
      diags.error(
        'Duplicate host volume',
        ranges.valueRange(`${vp}/name`),
        `${owner} already has a host volume named "${v.name}" at line ${first}. Host volume names must be unique within a block.`,
      );
  });
}

function checkFile(
  summary: string,
  written: string,
  at: string,
  ranges: RangeIndex,
  diags: Diagnostics,
  ctx: RuleContext,
) {
  const path = localPath(written, ctx.baseDir, ctx.host);
  if (ctx.fileExists(path)) return;
  diags.warning(
    summary,
    ranges.valueRange(at),
    `No file exists at "${path}". Connecting to the node will fail until it does.`,
  );
}

/** `~/` names the home directory of this machine, which means nothing on a remote host. */
function checkAllocRoots(file: ConfigFile, ranges: RangeIndex, diags: Diagnostics) {
  const remote = (file.node ?? [])
    .map((node, i) => ({ node, i }))
    .filter(({ node }) => impliedTransport(node) !== 'local');
  for (const { node, i } of remote)
    if (node.alloc_root?.startsWith('~'))
      diags.error(
        'Invalid value for "alloc_root"',
        ranges.valueRange(pointer('node', i, 'alloc_root')),
        `Node "${node.name}" is remote (transport "${impliedTransport(node)}"): its alloc_root must be an absolute path; "~/" only works for local nodes.`,
      );
  const inherited = remote.find(({ node }) => node.alloc_root === undefined);
  if (inherited && file.defaults?.alloc_root?.startsWith('~'))
    diags.error(
      'Invalid value for "alloc_root"',
      ranges.valueRange('/defaults/alloc_root'),
      `Node "${inherited.node.name}" takes this alloc_root but is remote (transport "${impliedTransport(inherited.node)}"): it must be an absolute path; "~/" only works for local nodes. Set an absolute alloc_root on the remote nodes, or here.`,
    );
}
