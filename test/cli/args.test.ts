import { describe, expect, it } from 'vitest';
import { normalizeArgs } from '../../src/cli/args.js';

describe('normalizeArgs', () => {
  it.each([
    [
      ['validate', '-json', 'a.hcl'],
      ['validate', '--json', 'a.hcl'],
    ],
    [
      ['plan', '-var', 'x=1', '-var-file=prod.hcl'],
      ['plan', '--var', 'x=1', '--var-file=prod.hcl'],
    ],
    [
      ['apply', '-auto-approve'],
      ['apply', '--auto-approve'],
    ],
    [
      ['logs', '-f', 'web'],
      ['logs', '-f', 'web'],
    ],
    [
      ['validate', '--json'],
      ['validate', '--json'],
    ],
    [
      ['exec', 'a1', '--', 'sh', '-json'],
      ['exec', 'a1', '--', 'sh', '-json'],
    ],
    [
      ['plan', '-var', 'msg=-not-a-flag'],
      ['plan', '--var', 'msg=-not-a-flag'],
    ],
    [
      ['scale', 'web', 'g', '-1'],
      ['scale', 'web', 'g', '-1'],
    ],
  ])('%j → %j', (input, want) => {
    expect(normalizeArgs(input)).toEqual(want);
  });
});
