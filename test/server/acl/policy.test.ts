/**
 * Nomad's policy language as drover reads it: the expansions of nomad/acl/policy.go
 * (TestParse's cases), the merge and glob rules of acl.go (TestACL_*), and errors with their
 * line and column.
 */
import { describe, expect, it } from 'vitest';
import {
  NAMESPACE_POLICY_CAPABILITIES,
  PolicyError,
  allowsLevel,
  allowsNamespaceOperation,
  allowsVariables,
  compileAcl,
  globMatches,
  namespaceCapabilities,
  parsePolicy,
} from '../../../src/server/acl/policy.js';

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

function caps(rules: string, ns: string): string[] {
  const p = parsePolicy(rules);
  return [...(namespaceCapabilities(compileAcl([p]), ns) ?? [])].sort();
}

describe('parsePolicy: Nomad expansions', () => {
  it.each([
    ['read', READ],
    [
      'write',
      [
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
    ],
    [
      'scale',
      [
        'list-scaling-policies',
        'read-scaling-policy',
        'read-job-scaling',
        'scale-job',
        'read-job',
        'submit-recommendation',
      ],
    ],
    ['deny', ['deny']],
  ])('namespace policy = "%s" grants what Nomad expands it to', (policy, want) => {
    expect(caps(`namespace "default" {\n  policy = "${policy}"\n}\n`, 'default')).toEqual(
      [...want].sort(),
    );
    expect([...NAMESPACE_POLICY_CAPABILITIES[policy]!].sort()).toEqual([...want].sort());
  });

  it('adds capabilities to the policy, and what host-volume-write implies', () => {
    expect(
      caps(
        `namespace "ops" {\n  policy = "read"\n  capabilities = ["submit-job", "host-volume-write"]\n}\n`,
        'ops',
      ),
    ).toEqual(
      [
        ...READ,
        'submit-job',
        'host-volume-write',
        'host-volume-register',
        'host-volume-create',
        'host-volume-delete',
      ].sort(),
    );
  });

  it('reads empty rules as an empty policy, as Nomad does', () => {
    expect(parsePolicy('')).toEqual({ namespaces: [], warnings: [] });
  });

  it('reads the policy of Nomad TestParse with every kind of block', () => {
    const p = parsePolicy(`
namespace "default" {
  policy = "read"
}
namespace "other" {
  policy = "write"
}
namespace "secret" {
  capabilities = ["deny", "read-logs"]
}
namespace "apps" {
  variables {
    path "jobs/write-does-not-imply-read-or-delete" {
      capabilities = ["write"]
    }
    path "project/read-implies-list" {
      capabilities = ["read"]
    }
  }
}
namespace "autoscaler" {
  policy = "scale"
}
host_volume "production-tls-*" {
  capabilities = ["mount-readonly"]
}
host_volume "staging-tls-*" {
  policy = "write"
}
node_pool "prod" {
  capabilities = ["read"]
}
agent {
  policy = "read"
}
node {
  policy = "write"
}
operator {
  policy = "deny"
}
quota {
  policy = "read"
}
plugin {
  policy = "read"
}
`);
    expect(p.namespaces.map((n) => n.name)).toEqual([
      'default',
      'other',
      'secret',
      'apps',
      'autoscaler',
    ]);
    expect(p.namespaces[3]!.variables).toEqual([
      { path: 'jobs/write-does-not-imply-read-or-delete', capabilities: ['write'] },
      { path: 'project/read-implies-list', capabilities: ['read', 'list'] },
    ]);
    expect([p.agent, p.node, p.operator]).toEqual(['read', 'write', 'deny']);
    const acl = compileAcl([p]);
    // deny in a capability list clears the rest, as NewACL does.
    expect([...namespaceCapabilities(acl, 'secret')!]).toEqual(['deny']);
    expect(allowsNamespaceOperation(acl, 'secret', 'read-logs')).toBe(false);
    expect(allowsVariables(acl, 'apps', 'read')).toBe(true);
    expect(allowsVariables(acl, 'default', 'read')).toBe(false);
  });
});

describe('parsePolicy: errors with line and column', () => {
  it.each([
    [
      'namespace "default" {\n  policy = "admin"\n}\n',
      'rules:2:12: Invalid namespace policy "admin"',
    ],
    [
      'namespace "default" {\n  capabilities = ["read-job", "fly"]\n}\n',
      "rules:2:18: Invalid namespace capability 'fly'",
    ],
    ['namespace "a b" {\n  policy = "read"\n}\n', 'rules:1:11: Invalid namespace name "a b"'],
    ['namespace {\n  policy = "read"\n}\n', 'rules:1:1: A namespace block needs one label'],
    ['agent {\n  policy = "scale"\n}\n', 'rules:2:12: Invalid agent policy "scale"'],
    [
      'node {\n  policy = "read"\n}\nnode {\n  policy = "write"\n}\n',
      'rules:4:1: Invalid or duplicate policy keys: node',
    ],
    ['nodes {\n  policy = "read"\n}\n', 'rules:1:1: Invalid or duplicate policy keys: nodes'],
    ['policy = "read"\n', 'rules:1:1: Invalid or duplicate policy keys: policy'],
    ['namespace "default" {\n  polcy = "read"\n}\n', 'rules:2:3: Unsupported argument "polcy"'],
    ['namespace "default" {\n  policy = var.x\n}\n', 'rules:2:12: Variables not allowed'],
    ['namespace "default" {\n  policy = "read"\n', 'rules:1:'],
    [
      'namespace "apps" {\n  variables {\n    path "/abs" {\n      capabilities = ["read"]\n    }\n  }\n}\n',
      'rules:3:10: Invalid variable path "/abs" in namespace apps',
    ],
    ['# nothing but a comment\n', 'Invalid policy'],
  ])('%j → %s', (rules, message) => {
    let err: unknown;
    try {
      parsePolicy(rules);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message.startsWith(message)).toBe(true);
  });
});

describe('compileAcl and the checks (acl.go)', () => {
  it('merges policies: capabilities add up, deny wins whatever the order', () => {
    const read = parsePolicy('namespace "default" {\n  policy = "read"\n}\n');
    const submit = parsePolicy('namespace "default" {\n  capabilities = ["submit-job"]\n}\n');
    const deny = parsePolicy('namespace "default" {\n  policy = "deny"\n}\n');
    const merged = compileAcl([read, submit]);
    expect(allowsNamespaceOperation(merged, 'default', 'submit-job')).toBe(true);
    expect(allowsNamespaceOperation(merged, 'default', 'read-job')).toBe(true);
    for (const order of [
      [read, deny, submit],
      [deny, read, submit],
      [read, submit, deny],
    ]) {
      const acl = compileAcl(order);
      expect(allowsNamespaceOperation(acl, 'default', 'read-job')).toBe(false);
      expect(allowsNamespaceOperation(acl, 'default', 'submit-job')).toBe(false);
    }
  });

  it('takes the most privilege for node, agent and operator, deny over all', () => {
    const level = (rules: string[]) => compileAcl(rules.map((r) => parsePolicy(r))).node;
    expect(level(['node {\n policy = "read"\n}', 'node {\n policy = "write"\n}'])).toBe('write');
    expect(level(['node {\n policy = "write"\n}', 'node {\n policy = "deny"\n}'])).toBe('deny');
    expect(allowsLevel('write', 'read')).toBe(true);
    expect(allowsLevel('read', 'write')).toBe(false);
    expect(allowsLevel('deny', 'read')).toBe(false);
    expect(allowsLevel(undefined, 'read')).toBe(false);
  });

  // TestACL_MatchingGlob-style cases: exact beats glob; else the glob whose wildcards cover the
  // fewest characters of the name.
  it.each([
    ['production-api', 'exact'],
    ['production-web', 'production-*'],
    ['prod-web', 'prod-*'],
    ['staging', '*'],
    ['prod', 'prod*'],
  ])('namespace %s takes the rule of %s', (ns, want) => {
    const rule = (name: string, cap: string) =>
      `namespace "${name}" {\n  capabilities = ["${cap}"]\n}\n`;
    const acl = compileAcl([
      parsePolicy(
        rule('*', 'list-jobs') +
          rule('prod*', 'read-logs') +
          rule('prod-*', 'read-fs') +
          rule('production-*', 'submit-job') +
          rule('production-api', 'dispatch-job'),
      ),
    ]);
    const byRule: Record<string, string> = {
      '*': 'list-jobs',
      'prod*': 'read-logs',
      'prod-*': 'read-fs',
      'production-*': 'submit-job',
      exact: 'dispatch-job',
    };
    expect([...namespaceCapabilities(acl, ns)!]).toEqual([byRule[want]]);
  });

  it('answers `*` with whether any namespace allows it', () => {
    const acl = compileAcl([parsePolicy('namespace "team-a" {\n  policy = "read"\n}\n')]);
    expect(allowsNamespaceOperation(acl, '*', 'list-jobs')).toBe(true);
    expect(allowsNamespaceOperation(acl, '*', 'submit-job')).toBe(false);
    expect(allowsNamespaceOperation(acl, 'default', 'list-jobs')).toBe(false);
  });

  it('matches globs as go-glob does', () => {
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('a*c', 'abbbc')).toBe(true);
    expect(globMatches('a*c', 'abbb')).toBe(false);
    expect(globMatches('a.c', 'abc')).toBe(false);
    expect(globMatches('*-dev-*', 'team-dev-1')).toBe(true);
  });
});

describe('parsePolicy: warnings for rules drover cannot enforce', () => {
  it('names each accepted but unenforced rule with its line and column', () => {
    const p = parsePolicy(
      [
        'namespace "default" {',
        '  policy = "read"',
        '}',
        'host_volume "data" {',
        '  policy = "write"',
        '}',
        'node_pool "prod" {',
        '  policy = "read"',
        '}',
        'quota {',
        '  policy = "read"',
        '}',
        'plugin {',
        '  policy = "list"',
        '}',
        'operator {',
        '  policy       = "read"',
        '  capabilities = ["snapshot-save"]',
        '}',
        'namespace "apps" {',
        '  variables {',
        '    path "*" { capabilities = ["read"] }',
        '  }',
        '}',
        '',
      ].join('\n'),
      'policy.hcl',
    );
    expect(p.warnings).toEqual([
      'policy.hcl:4:1: host_volume rules are accepted but drover has nothing to enforce them on (it has no host volumes)',
      'policy.hcl:7:1: node_pool rules are accepted but drover has nothing to enforce them on (it has no node pools)',
      'policy.hcl:10:1: quota rules are accepted but drover has nothing to enforce them on (it has no quotas)',
      'policy.hcl:13:1: plugin rules are accepted but drover has nothing to enforce them on (it has no CSI plugins)',
      'policy.hcl:18:3: operator capabilities are accepted but drover has nothing to enforce them on (it has no snapshot or license endpoints)',
      'policy.hcl:21:3: variables rules of namespace "apps" grant nothing: drover keeps Variables in namespace "default" only',
    ]);
    // What drover enforces warns about nothing.
    expect(
      parsePolicy('namespace "*" {\n  policy = "write"\n}\nagent {\n  policy = "read"\n}\n')
        .warnings,
    ).toEqual([]);
  });
});
