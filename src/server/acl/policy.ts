/**
 * Nomad's ACL policy language (nomad/acl/policy.go and acl.go), read with drover's own HCL
 * parser: parse a policy's rules into capability sets, and compile the policies of a token into
 * one `Acl` that answers "may this do that". Pure.
 *
 * Rules drover enforces: `namespace "glob" { policy, capabilities, variables { path … } }`,
 * `node`, `agent` and `operator` (`policy = deny | read | write`). Accepted because real policies
 * carry them, though drover has nothing they guard yet: `node_pool`, `host_volume`, `quota`,
 * `plugin` (refusing them would refuse policies written for Nomad); they are checked as Nomad
 * checks them and then ignored.
 */
import type { Attribute, Block, Body } from '../../hcl/ast.js';
import { Diagnostics } from '../../diag/diagnostic.js';
import type { SourceRange } from '../../diag/range.js';
import { EvalScope, evaluate } from '../../hcl/eval.js';
import { parseHCL } from '../../hcl/parser.js';

export type Level = 'deny' | 'read' | 'write';

/** Nomad's namespace capabilities (isNamespaceCapabilityValid). */
export const NAMESPACE_CAPABILITIES = [
  'deny',
  'list-jobs',
  'parse-job',
  'read-job',
  'submit-job',
  'dispatch-job',
  'read-logs',
  'read-fs',
  'alloc-exec',
  'alloc-node-exec',
  'alloc-lifecycle',
  'csi-register-plugin',
  'csi-write-volume',
  'csi-read-volume',
  'csi-list-volume',
  'csi-mount-volume',
  'host-volume-create',
  'host-volume-register',
  'host-volume-read',
  'host-volume-write',
  'host-volume-delete',
  'list-scaling-policies',
  'read-scaling-policy',
  'read-job-scaling',
  'scale-job',
  'register-job',
  'revert-job',
  'deregister-job',
  'purge-job',
  'evaluate-job',
  'plan-job',
  'tag-job-version',
  'stable-job',
  'fail-deployment',
  'pause-deployment',
  'promote-deployment',
  'unblock-deployment',
  'cancel-deployment',
  'set-alloc-health-deployment',
  'gc-allocation',
  'pause-allocation',
  'force-periodic-job',
  'delete-service-registration',
  'sentinel-override',
  'submit-recommendation',
] as const;

const READ = [
  'list-jobs',
  'parse-job',
  'read-job',
  'csi-list-volume',
  'csi-read-volume',
  'read-job-scaling',
  'list-scaling-policies',
  'read-scaling-policy',
  'host-volume-read',
];

/** The capabilities a namespace's `policy = …` stands for (expandNamespacePolicy). */
export const NAMESPACE_POLICY_CAPABILITIES: Readonly<Record<string, readonly string[]>> = {
  deny: ['deny'],
  read: READ,
  write: [
    ...READ,
    'scale-job',
    'submit-job',
    'dispatch-job',
    'read-logs',
    'read-fs',
    'alloc-exec',
    'alloc-lifecycle',
    'csi-mount-volume',
    'csi-write-volume',
    'submit-recommendation',
    'host-volume-create',
  ],
  scale: [
    'list-scaling-policies',
    'read-scaling-policy',
    'read-job-scaling',
    'scale-job',
    'read-job',
    'submit-recommendation',
  ],
};

/** Capabilities that imply others (expandNamespaceCapabilities). */
const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  'host-volume-write': [
    'host-volume-register',
    'host-volume-create',
    'host-volume-delete',
    'host-volume-read',
  ],
  'host-volume-register': ['host-volume-create', 'host-volume-read'],
  'host-volume-create': ['host-volume-read'],
};

const VARIABLE_CAPABILITIES = ['list', 'read', 'write', 'destroy', 'deny'];
const HOST_VOLUME_CAPABILITIES = ['deny', 'mount-readonly', 'mount-readwrite'];
const NODE_POOL_CAPABILITIES = ['delete', 'deny', 'read', 'write'];
const NAMESPACE_NAME = /^[a-zA-Z0-9-*]{1,128}$/;
const NODE_POOL_NAME = /^[a-zA-Z0-9-_*]{1,128}$/;

export interface NamespaceRule {
  /** A name or a glob (`*` matches any run of characters). */
  name: string;
  /** The capabilities granted: `policy` expanded, `capabilities` and what they imply. */
  capabilities: string[];
  /** `variables { path "spec" { capabilities } }`, read and list implied as Nomad does. */
  variables: { path: string; capabilities: string[] }[];
}

export interface ParsedPolicy {
  namespaces: NamespaceRule[];
  agent?: Level;
  node?: Level;
  operator?: Level;
  /**
   * Rules accepted (they check as Nomad's) that drover has nothing to enforce with, each as
   * `file:line:col: …`: never silent (the API returns them, `drover acl policy apply` prints them).
   */
  warnings: string[];
}

/** What a rule of this kind guards that drover does not have, for its warning. */
const UNENFORCED: Readonly<Record<string, string>> = {
  node_pool:
    'node_pool rules are accepted but drover has nothing to enforce them on (it has no node pools)',
  host_volume:
    'host_volume rules are accepted but drover has nothing to enforce them on (it has no host volumes)',
  quota: 'quota rules are accepted but drover has nothing to enforce them on (it has no quotas)',
  plugin:
    'plugin rules are accepted but drover has nothing to enforce them on (it has no CSI plugins)',
};

function warning(range: SourceRange, message: string): string {
  return `${where(range)}: ${message}`;
}

/** A policy that does not parse or check, with where (`file:line:col`). */
export class PolicyError extends Error {
  constructor(
    message: string,
    readonly range?: SourceRange,
  ) {
    super(range ? `${where(range)}: ${message}` : message);
  }
}

function where(r: SourceRange): string {
  return `${r.filename}:${r.start.line}:${r.start.column}`;
}

/** The file name a stored policy's rules are parsed under (its errors and warnings name it). */
export function policySource(name: string): string {
  return `policy ${name}`;
}

/** Parses a policy's rules; throws PolicyError naming the first problem and its place. */
export function parsePolicy(rules: string, filename = 'rules'): ParsedPolicy {
  // As Nomad: empty rules are an empty policy; rules with nothing in them are refused below.
  if (rules === '') return { namespaces: [], warnings: [] };
  const parsed = parseHCL(rules, filename);
  const syntax = parsed.diagnostics.find((d) => d.severity === 'error');
  if (syntax) throw new PolicyError(syntax.summary + detailOf(syntax.detail), syntax.range);
  const body = parsed.file.body;
  const out: ParsedPolicy = { namespaces: [], warnings: [] };
  const seen = new Set<string>();
  for (const item of body.items) {
    if (item.kind === 'Attribute') {
      throw new PolicyError(`Invalid or duplicate policy keys: ${item.name}`, item.nameRange);
    }
    const block = item;
    const unenforced = UNENFORCED[block.type];
    if (unenforced) out.warnings.push(warning(block.typeRange, unenforced));
    switch (block.type) {
      case 'namespace':
        out.namespaces.push(namespaceRule(block, out.warnings));
        break;
      case 'node_pool':
        labelled(block, 'node pool', NODE_POOL_NAME);
        capabilityRule(block, ['deny', 'read', 'write'], NODE_POOL_CAPABILITIES);
        break;
      case 'host_volume':
        labelled(block, 'host volume', NAMESPACE_NAME);
        capabilityRule(block, ['deny', 'read', 'write'], HOST_VOLUME_CAPABILITIES);
        break;
      case 'agent':
      case 'node':
      case 'operator':
      case 'quota':
      case 'plugin': {
        if (seen.has(block.type)) {
          throw new PolicyError(`Invalid or duplicate policy keys: ${block.type}`, block.typeRange);
        }
        seen.add(block.type);
        const level = singletonLevel(block, out.warnings);
        if (block.type === 'agent' || block.type === 'node' || block.type === 'operator') {
          if (level !== undefined) out[block.type] = level;
        }
        break;
      }
      default:
        throw new PolicyError(`Invalid or duplicate policy keys: ${block.type}`, block.typeRange);
    }
  }
  if (body.items.length === 0) throw new PolicyError(`Invalid policy: ${JSON.stringify(rules)}`);
  return out;
}

function detailOf(detail: string | undefined): string {
  return detail ? ` (${detail})` : '';
}

function labelled(block: Block, what: string, valid: RegExp): string {
  const label = block.labels[0];
  if (block.labels.length !== 1 || !label) {
    throw new PolicyError(
      `A ${block.type} block needs one label: the ${what} name`,
      block.typeRange,
    );
  }
  if (!valid.test(label.value)) {
    throw new PolicyError(`Invalid ${what} name "${label.value}"`, label.range);
  }
  return label.value;
}

function namespaceRule(block: Block, warnings: string[]): NamespaceRule {
  const name = labelled(block, 'namespace', NAMESPACE_NAME);
  const { policy, capabilities } = capabilityRule(
    block,
    Object.keys(NAMESPACE_POLICY_CAPABILITIES),
    NAMESPACE_CAPABILITIES,
    ['variables'],
  );
  const granted = [...capabilities, ...(policy ? NAMESPACE_POLICY_CAPABILITIES[policy]! : [])];
  for (const cap of [...granted]) granted.push(...(IMPLIED[cap] ?? []));
  const variablesBlocks = block.body.items.filter(
    (i): i is Block => i.kind === 'Block' && i.type === 'variables',
  );
  const variables = variablesBlocks.flatMap((v) => variablesRule(v, name));
  // The server enforces them on /v1/var(s) (acl/variables), where every Variable is in `default`.
  if (!globMatches(name, 'default'))
    for (const v of variablesBlocks)
      warnings.push(
        warning(
          v.typeRange,
          `variables rules of namespace "${name}" grant nothing: drover keeps Variables in namespace "default" only`,
        ),
      );
  return { name, capabilities: [...new Set(granted)], variables };
}

function variablesRule(block: Block, namespace: string): NamespaceRule['variables'] {
  if (block.labels.length > 0) {
    throw new PolicyError('A variables block takes no label', block.typeRange);
  }
  const paths: NamespaceRule['variables'] = [];
  for (const item of block.body.items) {
    if (item.kind !== 'Block' || item.type !== 'path') {
      const range = item.kind === 'Block' ? item.typeRange : item.nameRange;
      throw new PolicyError(`Unsupported key in a variables block: ${keyOf(item)}`, range);
    }
    const spec = item.labels[0]?.value ?? '';
    if (item.labels.length !== 1 || spec === '') {
      throw new PolicyError(`Invalid missing variable path in namespace ${namespace}`, item.range);
    }
    if (spec.startsWith('/')) {
      throw new PolicyError(
        `Invalid variable path "${spec}" in namespace ${namespace}: cannot start with a leading '/'`,
        item.labels[0]!.range,
      );
    }
    const { capabilities } = capabilityRule(item, [], VARIABLE_CAPABILITIES);
    paths.push({ path: spec, capabilities: expandVariableCapabilities(capabilities) });
  }
  if (paths.length === 0) {
    throw new PolicyError(
      `Invalid variable policy: no variable paths in namespace ${namespace}`,
      block.range,
    );
  }
  return paths;
}

function expandVariableCapabilities(caps: string[]): string[] {
  if (caps.includes('deny')) return ['deny'];
  return caps.includes('read') && !caps.includes('list') ? [...caps, 'list'] : caps;
}

function keyOf(item: Attribute | Block): string {
  return item.kind === 'Block' ? item.type : item.name;
}

/** A block of `policy = "…"` and `capabilities = [ … ]`, each checked against its allowed values. */
function capabilityRule(
  block: Block,
  policies: readonly string[],
  capabilities: readonly string[],
  blocks: readonly string[] = [],
): { policy?: string; capabilities: string[] } {
  const out: { policy?: string; capabilities: string[] } = { capabilities: [] };
  const attrs = attributes(block.body, blocks);
  const policy = attrs.get('policy');
  if (policy && policies.length === 0) {
    throw new PolicyError(`Unsupported key in a ${block.type} block: policy`, policy.nameRange);
  }
  if (policy) out.policy = oneOf(policy, policies, `${block.type} policy`);
  const caps = attrs.get('capabilities');
  if (caps) {
    const value = constant(caps);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new PolicyError('capabilities must be a list of strings', caps.expr.range);
    }
    for (const cap of value as string[]) {
      if (!capabilities.includes(cap)) {
        throw new PolicyError(`Invalid ${block.type} capability '${cap}'`, caps.expr.range);
      }
    }
    out.capabilities = value as string[];
  }
  return out;
}

/** `agent`, `node`, `operator`, `quota`, `plugin`: a `policy` level (and, for operator, capabilities). */
function singletonLevel(block: Block, warnings: string[]): Level | undefined {
  if (block.labels.length > 0) {
    throw new PolicyError(`A ${block.type} block takes no label`, block.labels[0]!.range);
  }
  const levels = block.type === 'plugin' ? ['deny', 'read', 'list', 'write'] : LEVELS;
  const attrs = attributes(block.body, []);
  const policy = attrs.get('policy');
  if (block.type === 'operator') {
    const caps = attrs.get('capabilities');
    if (caps) {
      capabilityRule(block, LEVELS, ['deny', 'snapshot-save', 'license-read']);
      warnings.push(
        warning(
          caps.nameRange,
          'operator capabilities are accepted but drover has nothing to enforce them on (it has no snapshot or license endpoints)',
        ),
      );
    }
    if (!policy) return undefined;
  }
  if (!policy) {
    throw new PolicyError(`Invalid ${block.type} policy: policy is required`, block.typeRange);
  }
  const level = oneOf(policy, levels, `${block.type} policy`);
  return level === 'list' ? undefined : (level as Level);
}

const LEVELS: readonly Level[] = ['deny', 'read', 'write'];

function attributes(body: Body, blocks: readonly string[]): Map<string, Attribute> {
  const out = new Map<string, Attribute>();
  for (const item of body.items) {
    if (item.kind === 'Block') {
      if (blocks.includes(item.type)) continue;
      throw new PolicyError(`Unsupported block type "${item.type}"`, item.typeRange);
    }
    if (item.name !== 'policy' && item.name !== 'capabilities') {
      throw new PolicyError(`Unsupported argument "${item.name}"`, item.nameRange);
    }
    if (out.has(item.name)) {
      throw new PolicyError(`Duplicate argument "${item.name}"`, item.nameRange);
    }
    out.set(item.name, item);
  }
  return out;
}

function oneOf(attr: Attribute, allowed: readonly string[], what: string): string {
  const value = constant(attr);
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new PolicyError(
      `Invalid ${what} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`,
      attr.expr.range,
    );
  }
  return value;
}

/** An attribute's value: literals only (a policy has no variables nor functions). */
function constant(attr: Attribute): unknown {
  const diags = new Diagnostics();
  const value = evaluate(attr.expr, EvalScope.create({ variablesAllowed: false }), diags);
  const problem = diags.items.find((d) => d.severity === 'error');
  if (problem) throw new PolicyError(problem.summary, problem.range ?? attr.expr.range);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Compiling the policies of a token (acl.go NewACL) and checking against them.

export interface Acl {
  readonly management: boolean;
  /** Exact namespace names → capabilities. */
  readonly namespaces: ReadonlyMap<string, ReadonlySet<string>>;
  /** Namespace globs → capabilities. */
  readonly globs: ReadonlyMap<string, ReadonlySet<string>>;
  /** Variables rules per namespace name or glob. */
  readonly variables: readonly { namespace: string; path: string; capabilities: string[] }[];
  readonly agent?: Level;
  readonly node?: Level;
  readonly operator?: Level;
}

export const MANAGEMENT_ACL: Acl = {
  management: true,
  namespaces: new Map(),
  globs: new Map(),
  variables: [],
};

/** The most privilege of two levels, deny over all (maxPrivilege). */
function maxLevel(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (a === 'deny' || b === 'deny') return 'deny';
  if (a === 'write' || b === 'write') return 'write';
  if (a === 'read' || b === 'read') return 'read';
  return undefined;
}

/** One ACL from several policies: capabilities add up per namespace, deny clears and wins. */
export function compileAcl(policies: readonly ParsedPolicy[]): Acl {
  const namespaces = new Map<string, Set<string>>();
  const globs = new Map<string, Set<string>>();
  const variables: Acl['variables'][number][] = [];
  let agent: Level | undefined;
  let node: Level | undefined;
  let operator: Level | undefined;
  for (const p of policies) {
    for (const ns of p.namespaces) {
      const table = ns.name.includes('*') ? globs : namespaces;
      const caps = table.get(ns.name) ?? new Set<string>();
      table.set(ns.name, caps);
      for (const v of ns.variables) variables.push({ namespace: ns.name, ...v });
      if (caps.has('deny')) continue;
      if (ns.capabilities.includes('deny')) {
        caps.clear();
        caps.add('deny');
        continue;
      }
      for (const c of ns.capabilities) caps.add(c);
    }
    agent = p.agent ? maxLevel(agent, p.agent) : agent;
    node = p.node ? maxLevel(node, p.node) : node;
    operator = p.operator ? maxLevel(operator, p.operator) : operator;
  }
  return {
    management: false,
    namespaces,
    globs,
    variables,
    ...(agent ? { agent } : {}),
    ...(node ? { node } : {}),
    ...(operator ? { operator } : {}),
  };
}

/** go-glob: `*` matches any run of characters, everything else itself. */
export function globMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's').test(name);
}

/**
 * The capabilities that apply to `namespace`: its exact rule, else the closest matching glob —
 * the one whose wildcards stand for the fewest characters (Nomad's "difference"), the first in
 * name order on a tie.
 */
export function namespaceCapabilities(
  acl: Acl,
  namespace: string,
): ReadonlySet<string> | undefined {
  const exact = acl.namespaces.get(namespace);
  if (exact) return exact;
  let best: { difference: number; caps: ReadonlySet<string> } | undefined;
  for (const pattern of [...acl.globs.keys()].sort()) {
    if (!globMatches(pattern, namespace)) continue;
    const difference = namespace.length - pattern.length + countStars(pattern);
    if (!best || difference < best.difference) {
      best = { difference, caps: acl.globs.get(pattern)! };
    }
  }
  return best?.caps;
}

function countStars(s: string): number {
  return s.split('*').length - 1;
}

/** AllowNamespaceOperation: `*` asks whether any namespace allows it. */
export function allowsNamespaceOperation(acl: Acl, namespace: string, op: string): boolean {
  if (acl.management) return true;
  if (namespace === '*') {
    for (const caps of [...acl.namespaces.values(), ...acl.globs.values()]) {
      if (caps.has(op)) return true;
    }
  }
  return namespaceCapabilities(acl, namespace)?.has(op) ?? false;
}

/**
 * Whether any variables path rule of the namespace grants `op` (`read` or `write`). drover's
 * Variables endpoints check a path themselves; this is the namespace-wide question the router asks.
 */
export function allowsVariables(acl: Acl, namespace: string, op: 'read' | 'write'): boolean {
  if (acl.management) return true;
  return acl.variables.some(
    (v) =>
      (namespace === '*' || v.namespace === namespace || globMatches(v.namespace, namespace)) &&
      v.capabilities.includes(op),
  );
}

/** AllowAgentRead / AllowNodeWrite / …: write includes read, deny and nothing allow neither. */
export function allowsLevel(granted: Level | undefined, wanted: 'read' | 'write'): boolean {
  if (granted === 'write') return true;
  return granted === 'read' && wanted === 'read';
}
