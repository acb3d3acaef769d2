/** go-bexpr filters (Nomad's `filter` parameter): what matches, what does not, what will not parse. */
import { describe, expect, it } from 'vitest';
import { FilterError, compileFilter, parseFilter } from '../../../src/server/nomad/bexpr.js';

const service = {
  ServiceName: 'web',
  Tags: ['traefik.enable=true', 'traefik.http.routers.web.rule=Host(`x`)', 'v2'],
  Port: 8080,
  Address: '10.0.0.5',
  Meta: { 'pack.name': 'hello', owner: 'team-a' },
  Healthy: true,
  Empty: [],
  None: null,
  Blank: '',
  TaskStates: { server: { State: 'running', Restarts: 2 } },
};

const cases: [string, boolean][] = [
  ['Tags contains "traefik.enable=true"', true],
  ['Tags contains "traefik.enable=false"', false],
  ['Tags not contains "v1"', true],
  ['"v2" in Tags', true],
  ['"v3" not in Tags', true],
  ['"v2" not in Tags', false],
  ['ServiceName == "web"', true],
  ['ServiceName == web', true],
  ['ServiceName != "web"', false],
  ['ServiceName == `web`', true],
  ['Port == 8080', true],
  ['Port == "8080"', true],
  ['Port == 80', false],
  ['Healthy == true', true],
  ['Healthy == false', false],
  ['Meta["pack.name"] == "hello"', true],
  ['Meta.owner == "team-a"', true],
  ['Meta contains "owner"', true],
  ['"pack.name" in Meta', true],
  ['Meta.missing == "x"', false],
  ['Meta.missing != "x"', true],
  ['TaskStates.server.State == "running"', true],
  ['TaskStates.server.Restarts == 2', true],
  ['Empty is empty', true],
  ['None is empty', true],
  ['Blank is empty', true],
  ['Missing is empty', true],
  ['Tags is not empty', true],
  ['Tags is empty', false],
  ['Address matches "^10\\\\.0\\\\."', true],
  ['Address matches "^192"', false],
  ['Address not matches "^192"', true],
  ['ServiceName contains "e"', true],
  ['ServiceName == "web" and Port == 8080', true],
  ['ServiceName == "web" and Port == 80', false],
  ['ServiceName == "api" or Port == 8080', true],
  ['not ServiceName == "api"', true],
  ['not (ServiceName == "web" or Port == 1)', false],
  ['(ServiceName == "api" or Port == 8080) and Tags contains "v2"', true],
  ['ServiceName == "api" or Port == 8080 and Tags contains "none"', false],
  ['ServiceName == "web" or Port == 1 and Tags contains "none"', true],
  ['ServiceName == "we\\"b"', false],
];

describe('go-bexpr filters', () => {
  it.each(cases)('%s → %s', (expr, expected) => {
    expect(compileFilter(expr)!(service)).toBe(expected);
  });

  it('has no filter for an absent or blank expression', () => {
    expect(compileFilter(null)).toBeUndefined();
    expect(compileFilter('  ')).toBeUndefined();
  });

  it('reads "and" before "or", as go-bexpr', () => {
    expect(parseFilter('a == 1 or b == 2 and c == 3')).toEqual({
      kind: 'or',
      left: { kind: 'equal', selector: ['a'], value: '1' },
      right: {
        kind: 'and',
        left: { kind: 'equal', selector: ['b'], value: '2' },
        right: { kind: 'equal', selector: ['c'], value: '3' },
      },
    });
  });

  it.each([
    ['Tags contains', /expected a value, found end of expression/],
    ['Tags', /expected "==", "!=", "is", "contains", "matches" or "in"/],
    ['Name == "x" and', /expected a selector/],
    ['(Name == "x"', /expected "\)"/],
    ['Name == "x" Port == 1', /expected "and", "or" or the end/],
    ['Name == "unterminated', /unterminated string/],
    ['Name is full', /expected "empty"/],
    ['Name matches "("', /invalid regular expression/],
    ['Meta[owner] == "x"', /expected a quoted key/],
    ['Name == "a" & x', /unexpected character "&"/],
  ])('refuses %s', (expr, message) => {
    expect(() => parseFilter(expr)).toThrow(FilterError);
    expect(() => parseFilter(expr)).toThrow(message);
  });
});
