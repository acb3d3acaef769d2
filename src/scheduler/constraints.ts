/**
 * Constraint and affinity operators, as Nomad's scheduler/feasible.go evaluates them on one node:
 * targets like `${attr.kernel.name}` are resolved against the node, then the operator compares.
 */
import type {
  NormalizedAffinity as Affinity,
  NormalizedConstraint as Constraint,
} from '../generated/normalized-job.js';
import { parseSemverConstraint, parseVersion, parseVersionConstraint } from './version.js';
import type { VersionCheck } from './version.js';

/** What a constraint can look at on a node. */
export interface NodeFacts {
  name: string;
  id: string;
  datacenter: string;
  class: string;
  pool: string;
  attributes: Readonly<Record<string, string>>;
  meta: Readonly<Record<string, string>>;
}

/**
 * Nomad's resolveTarget: a literal unless it starts with "${"; `${node.unique.id}`,
 * `${node.unique.name}`, `${node.datacenter}`, `${node.class}`, `${node.pool}`, `${attr.X}`,
 * `${meta.X}`. Undefined when the node has no such value.
 */
export function resolveTarget(target: string, node: NodeFacts): string | undefined {
  if (!target.startsWith('${')) return target;
  switch (target) {
    case '${node.unique.id}':
      return node.id;
    case '${node.unique.name}':
      return node.name;
    case '${node.datacenter}':
      return node.datacenter;
    case '${node.class}':
      return node.class;
    case '${node.pool}':
      return node.pool;
  }
  const inner = target.endsWith('}') ? target.slice(2, -1) : target.slice(2);
  if (inner.startsWith('attr.')) return own(node.attributes, inner.slice(5));
  if (inner.startsWith('meta.')) return own(node.meta, inner.slice(5));
  return undefined;
}

function own(map: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

/**
 * Whether a target can differ between nodes of the same computed class: unique attributes
 * "escape" the class memo and are checked node by node (Nomad's EscapedConstraints).
 */
export function escapesClass(target: string | undefined): boolean {
  if (!target) return false;
  return (
    target.includes('${node.unique.') ||
    target.includes('${attr.unique.') ||
    target.includes('${meta.unique.')
  );
}

export type Operator = NonNullable<Constraint['operator']>;

const versionCache = new Map<string, VersionCheck | null>();
const semverCache = new Map<string, VersionCheck | null>();
const regexpCache = new Map<string, RegExp | null>();

function cached<T>(cache: Map<string, T | null>, key: string, make: () => T | undefined): T | null {
  let v = cache.get(key);
  if (v === undefined) {
    v = make() ?? null;
    if (cache.size > 1000) cache.clear();
    cache.set(key, v);
  }
  return v;
}

const INT_RE = /^[+-]?[0-9]+$/;
const FLOAT_RE =
  /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?:inf|infinity|nan)$/i;

function asFloat(s: string): number {
  const lower = s.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  return Number(s);
}

function compareOrder<T extends number | string | bigint>(op: string, l: T, r: T): boolean {
  switch (op) {
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    default:
      return false;
  }
}

/** Nomad's checkOrder: as integers if both are, else as floats if both are, else lexically. */
export function checkOrder(op: string, l: string, r: string): boolean {
  if (INT_RE.test(l) && INT_RE.test(r)) return compareOrder(op, BigInt(l), BigInt(r));
  if (FLOAT_RE.test(l) && FLOAT_RE.test(r)) return compareOrder(op, asFloat(l), asFloat(r));
  return compareOrder(op, l, r);
}

function setOf(text: string): Set<string> {
  return new Set(text.split(',').map((s) => s.trim()));
}

function setContainsAll(l: string, r: string): boolean {
  const have = setOf(l);
  return r.split(',').every((v) => have.has(v.trim()));
}

function setContainsAny(l: string, r: string): boolean {
  const have = setOf(l);
  return r.split(',').some((v) => have.has(v.trim()));
}

function versionMatch(l: string, r: string, semver: boolean): boolean {
  const v = parseVersion(l);
  if (!v) return false;
  const check = semver
    ? cached(semverCache, r, () => parseSemverConstraint(r))
    : cached(versionCache, r, () => parseVersionConstraint(r));
  return check !== null && check(v);
}

function regexpMatch(l: string, r: string): boolean {
  const re = cached(regexpCache, r, () => {
    try {
      return new RegExp(r, 'u');
    } catch {
      return undefined;
    }
  });
  return re !== null && re.test(l);
}

/**
 * Nomad's checkConstraint on resolved values (undefined = not found). `distinct_hosts` and
 * `distinct_property` always pass here: placement decides them.
 */
export function checkOperator(
  operator: string,
  l: string | undefined,
  r: string | undefined,
): boolean {
  switch (operator) {
    case 'distinct_hosts':
    case 'distinct_property':
      return true;
    case '=':
    case '==':
    case 'is':
      return l !== undefined && r !== undefined && l === r;
    case '!=':
    case 'not':
      // Missing values compare as "" (Nomad resolves them to the empty string).
      return (l ?? '') !== (r ?? '');
    case '<':
    case '<=':
    case '>':
    case '>=':
      return l !== undefined && r !== undefined && checkOrder(operator, l, r);
    case 'is_set':
      return l !== undefined;
    case 'is_not_set':
      return l === undefined;
    case 'version':
      return l !== undefined && r !== undefined && versionMatch(l, r, false);
    case 'semver':
      return l !== undefined && r !== undefined && versionMatch(l, r, true);
    case 'regexp':
      return l !== undefined && r !== undefined && regexpMatch(l, r);
    case 'set_contains':
    case 'set_contains_all':
      return l !== undefined && r !== undefined && setContainsAll(l, r);
    case 'set_contains_any':
      return l !== undefined && r !== undefined && setContainsAny(l, r);
    default:
      return false;
  }
}

/** A constraint as Nomad prints it: "${attr.kernel.name} = linux". */
export function constraintText(c: Constraint | Affinity): string {
  const parts = [c.attribute ?? '', c.operator, c.value ?? ''].filter((p) => p !== '');
  return parts.join(' ');
}
