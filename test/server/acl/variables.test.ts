/** Which Variables a token's `variables` path rules reach (acl/variables: Nomad's closest-path rule). */
import { describe, expect, it } from 'vitest';
import { compileAcl, MANAGEMENT_ACL, parsePolicy } from '../../../src/server/acl/policy.js';
import { allowsVariablePath, type VariableOperation } from '../../../src/server/acl/variables.js';

function acl(...policies: string[]) {
  return compileAcl(policies.map((p) => parsePolicy(p)));
}

function allowed(a: ReturnType<typeof acl>, path: string, ns = 'default'): VariableOperation[] {
  return (['list', 'read', 'write', 'destroy'] as const).filter((op) =>
    allowsVariablePath(a, ns, path, op),
  );
}

describe('allowsVariablePath', () => {
  it('grants what the closest matching path spec says, read implying list', () => {
    const a = acl(`namespace "default" {
  variables {
    path "*" { capabilities = ["list"] }
    path "app/*" { capabilities = ["read", "write"] }
    path "app/secret" { capabilities = ["deny"] }
    path "app/team/*" { capabilities = ["destroy"] }
  }
}`);
    expect(allowed(a, 'other')).toEqual(['list']);
    expect(allowed(a, 'app/db')).toEqual(['list', 'read', 'write']);
    // The exact path wins over the glob that also matches it, and deny refuses everything.
    expect(allowed(a, 'app/secret')).toEqual([]);
    // The longer spec wins: app/team/* grants destroy only, not app/*'s read and write.
    expect(allowed(a, 'app/team/x')).toEqual(['destroy']);
  });

  it('grants nothing without a variables rule: a namespace policy is not one', () => {
    expect(allowed(acl('namespace "default" {\n  policy = "write"\n}\n'), 'app/db')).toEqual([]);
    expect(allowed(acl('node {\n  policy = "write"\n}\n'), 'app/db')).toEqual([]);
  });

  it('takes the rules of namespace globs and unions policies of the same spec', () => {
    const a = acl(
      'namespace "*" {\n  variables {\n    path "a/*" { capabilities = ["read"] }\n  }\n}\n',
      'namespace "default" {\n  variables {\n    path "a/*" { capabilities = ["write"] }\n  }\n}\n',
    );
    expect(allowed(a, 'a/b')).toEqual(['list', 'read', 'write']);
    expect(allowed(a, 'a/b', 'prod')).toEqual(['list', 'read']);
  });

  it('lets a management token do anything', () => {
    expect(allowed(MANAGEMENT_ACL, 'any/path')).toEqual(['list', 'read', 'write', 'destroy']);
  });
});
