import { describe, expect, it } from 'vitest';
import {
  checkOperator,
  constraintText,
  escapesClass,
  resolveTarget,
  type NodeFacts,
} from '../../src/scheduler/constraints.js';
import {
  compareVersions,
  parseSemver,
  parseSemverConstraint,
  parseVersion,
  parseVersionConstraint,
} from '../../src/scheduler/version.js';

type Rule = Parameters<typeof constraintText>[0];

/** Whether a node satisfies a constraint, the way the placement loop resolves and checks one. */
function nodeMeets(c: Rule, node: NodeFacts): boolean {
  const l = resolveTarget(c.attribute ?? '', node);
  const r = resolveTarget(c.value ?? '', node);
  return checkOperator(c.operator ?? '=', l, r);
}

const facts: NodeFacts = {
  name: 'web-1',
  id: 'id-1',
  datacenter: 'dc1',
  class: 'web',
  pool: 'default',
  attributes: { 'kernel.name': 'linux', 'cpu.numcores': '8', 'unique.hostname': 'h1', empty: '' },
  meta: { rack: 'r1', tags: 'ssd, gpu ,fast' },
};

describe('resolveTarget', () => {
  it.each([
    ['linux', 'linux'],
    ['${node.unique.id}', 'id-1'],
    ['${node.unique.name}', 'web-1'],
    ['${node.datacenter}', 'dc1'],
    ['${node.class}', 'web'],
    ['${node.pool}', 'default'],
    ['${attr.kernel.name}', 'linux'],
    ['${attr.unique.hostname}', 'h1'],
    ['${attr.empty}', ''],
    ['${meta.rack}', 'r1'],
    ['${attr.missing}', undefined],
    ['${meta.missing}', undefined],
    ['${node.unknown}', undefined],
    ['${attr.toString}', undefined],
  ])('%s → %s', (target, want) => {
    expect(resolveTarget(target, facts)).toBe(want);
  });

  it('knows which targets escape the computed class', () => {
    expect(escapesClass('${node.unique.name}')).toBe(true);
    expect(escapesClass('${attr.unique.hostname}')).toBe(true);
    expect(escapesClass('${meta.unique.x}')).toBe(true);
    expect(escapesClass('${attr.kernel.name}')).toBe(false);
    expect(escapesClass(undefined)).toBe(false);
  });
});

// [operator, left (undefined = attribute missing), right, expected]
const cases: [string, string | undefined, string | undefined, boolean][] = [
  ['=', 'linux', 'linux', true],
  ['=', 'linux', 'windows', false],
  ['=', undefined, 'linux', false],
  ['==', 'a', 'a', true],
  ['is', 'a', 'a', true],
  ['!=', 'linux', 'windows', true],
  ['!=', 'linux', 'linux', false],
  ['!=', undefined, 'linux', true],
  ['!=', undefined, '', false],
  ['not', 'a', 'b', true],
  // Integers compare as numbers…
  ['<', '9', '10', true],
  ['<=', '10', '10', true],
  ['>', '10', '9', true],
  ['>=', '-1', '0', false],
  // …floats as floats…
  ['<', '1.5', '1.25', false],
  ['>', '2.5', '10', false],
  ['>=', '1e3', '999.5', true],
  // …anything else lexically.
  ['<', 'abc', 'abd', true],
  ['>', '10a', '9a', false],
  ['<', undefined, '1', false],
  ['is_set', 'x', undefined, true],
  ['is_set', '', undefined, true],
  ['is_set', undefined, undefined, false],
  ['is_not_set', undefined, undefined, true],
  ['is_not_set', 'x', undefined, false],
  ['regexp', 'linux-5.15', '^linux-[0-9]+', true],
  ['regexp', 'prod-web', 'web', true],
  ['regexp', 'linux', '^win', false],
  ['regexp', 'linux', '(', false],
  ['regexp', undefined, '.*', false],
  ['version', '1.2.3', '>= 1.2, < 2.0', true],
  ['version', '2.0.0', '>= 1.2, < 2.0', false],
  ['version', '1.2.3-beta', '>= 1.0', false],
  ['version', '1.4.7', '~> 1.4', true],
  ['version', '2.0', '~> 1.4', false],
  ['version', '1.4.9', '~> 1.4.3', true],
  ['version', '1.5.0', '~> 1.4.3', false],
  ['version', 'v1.8', '= 1.8.0', true],
  ['version', 'banana', '>= 1', false],
  ['version', '1.0', 'garbage', false],
  ['semver', '1.2.3', '>= 1.2.0, < 2.0.0', true],
  ['semver', '1.2.3-beta.2', '>= 1.2.3-beta.1', true],
  ['semver', '1.2.3-beta', '>= 1.0.0', true],
  ['semver', '1.2.3', '~> 1.2', false],
  ['semver', '1.2.3', '>= 1.2.3.4', false],
  ['set_contains', 'ssd, gpu ,fast', 'gpu,ssd', true],
  ['set_contains', 'ssd,gpu', 'gpu,nvme', false],
  ['set_contains_all', 'a,b,c', 'c, a', true],
  ['set_contains_all', 'a,b', 'a,d', false],
  ['set_contains_any', 'a,b', 'x,b', true],
  ['set_contains_any', 'a,b', 'x,y', false],
  ['set_contains_any', undefined, 'a', false],
  ['distinct_hosts', undefined, undefined, true],
  ['distinct_property', 'x', '2', true],
  ['bogus', 'a', 'a', false],
];

describe('checkOperator', () => {
  it.each(cases)('%s: %j vs %j → %s', (op, l, r, want) => {
    expect(checkOperator(op, l, r)).toBe(want);
  });
});

describe('nodeMeets and constraintText', () => {
  it.each([
    [
      { attribute: '${attr.kernel.name}', operator: '=' as const, value: 'linux' },
      true,
      '${attr.kernel.name} = linux',
    ],
    [
      { attribute: '${meta.rack}', operator: '=' as const, value: 'r2' },
      false,
      '${meta.rack} = r2',
    ],
    [
      { attribute: '${meta.tags}', operator: 'set_contains_any' as const, value: 'gpu' },
      true,
      '${meta.tags} set_contains_any gpu',
    ],
    [
      { attribute: '${node.datacenter}', operator: 'regexp' as const, value: '^dc' },
      true,
      '${node.datacenter} regexp ^dc',
    ],
    [
      { attribute: '${attr.cpu.numcores}', operator: '>=' as const, value: '16' },
      false,
      '${attr.cpu.numcores} >= 16',
    ],
    [{ attribute: '${attr.gpu}', operator: 'is_not_set' as const }, true, '${attr.gpu} is_not_set'],
    [{ operator: 'distinct_hosts' as const }, true, 'distinct_hosts'],
  ])('%j', (c, meets, text) => {
    expect(nodeMeets(c, facts)).toBe(meets);
    expect(constraintText(c)).toBe(text);
  });
});

describe('versions', () => {
  it.each([
    ['1.2', [1, 2, 0], ''],
    ['v1.2.3', [1, 2, 3], ''],
    ['1.2.3-beta.1+build.5', [1, 2, 3], 'beta.1'],
    ['5.15.0-91-generic', [5, 15, 0], '91-generic'],
    ['1.2.3.4', [1, 2, 3, 4], ''],
    ['1.0rc1', [1, 0, 0], 'rc1'],
  ])('parseVersion(%s)', (text, segments, pre) => {
    expect(parseVersion(text)).toMatchObject({ segments, pre });
  });

  it('rejects what go-version rejects', () => {
    expect(parseVersion('one.two')).toBeUndefined();
    expect(parseSemver('1.2.3.4')).toBeUndefined();
    expect(parseVersionConstraint('>= 1, junk here')).toBeUndefined();
    expect(parseSemverConstraint('~> 1.2.0')).toBeUndefined();
  });

  it.each([
    ['1.2.3', '1.2.3', 0],
    ['1.2', '1.2.0', 0],
    ['1.2.3', '1.10.0', -1],
    ['1.2.3-alpha', '1.2.3', -1],
    ['1.2.3-alpha.1', '1.2.3-alpha.beta', -1],
    ['1.2.3-beta.2', '1.2.3-beta.11', -1],
    ['1.2.3-rc.1', '1.2.3-beta', 1],
    ['2', '1.9.9', 1],
  ])('compare %s with %s → %i', (a, b, want) => {
    expect(compareVersions(parseVersion(a)!, parseVersion(b)!)).toBe(want);
  });
});
