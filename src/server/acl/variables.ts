/**
 * Whether a token's `variables { path "…" { capabilities } }` rules allow an operation on one
 * Variable (Nomad's AllowVariableOperation): of the rules of the namespace (its own or a glob's)
 * whose path spec matches the path, the closest applies (an exact path over a glob, then the
 * longest spec); `deny` there refuses. Without a matching rule nothing is allowed: a namespace's
 * `policy` grants no Variables, as in Nomad. Pure.
 */
import { globMatches, type Acl } from './policy.js';

export type VariableOperation = 'list' | 'read' | 'write' | 'destroy';

export function allowsVariablePath(
  acl: Acl,
  namespace: string,
  path: string,
  op: VariableOperation,
): boolean {
  if (acl.management) return true;
  const rules = acl.variables.filter(
    (v) =>
      (v.namespace === namespace || globMatches(v.namespace, namespace)) &&
      globMatches(v.path, path),
  );
  const closeness = (spec: string) => (spec === path ? Infinity : spec.length);
  const best = Math.max(...rules.map((r) => closeness(r.path)));
  const closest = rules.filter((r) => closeness(r.path) === best);
  const caps = new Set(closest.flatMap((r) => r.capabilities));
  return !caps.has('deny') && caps.has(op);
}
