import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every error drover reports about a job must be one Nomad reports too. The rule that keeps
 * it so: each error site in rules.ts has a `// Nomad: <file> <function>` comment at most
 * WINDOW lines above it, naming the Nomad code that enforces the same rule.
 */
const RULES = fileURLToPath(new URL('../../src/jobspec/rules.ts', import.meta.url));
const WINDOW = 8;
const ERROR_SITE = /\bctx\.(error|blockError)\(/;
const CITATION = /\/\/ Nomad: \S+\.go\b/;

/** The 1-based lines of error sites with no citation in the WINDOW lines above them. */
export function uncitedErrorSites(source: string, window = WINDOW): number[] {
  const lines = source.split('\n');
  const uncited: number[] = [];
  lines.forEach((line, i) => {
    if (!ERROR_SITE.test(line)) return;
    const above = lines.slice(Math.max(0, i - window), i + 1);
    if (!above.some((l) => CITATION.test(l))) uncited.push(i + 1);
  });
  return uncited;
}

describe('rules.ts cites Nomad for every error', () => {
  const source = readFileSync(RULES, 'utf8');

  it('has error sites to check', () => {
    expect(source.split('\n').filter((l) => ERROR_SITE.test(l)).length).toBeGreaterThan(50);
  });

  it('has a "// Nomad:" citation above each ctx.error and ctx.blockError', () => {
    expect(uncitedErrorSites(source)).toEqual([]);
  });

  it('finds an error site without a citation', () => {
    const cited = ['  // Nomad: structs.go (*Job).Validate', "  ctx.error('x', '/id');"];
    const uncited = ['  // drover checks this', "  ctx.blockError('y', '');"];
    expect(uncitedErrorSites(cited.join('\n'))).toEqual([]);
    expect(uncitedErrorSites([...uncited, ...Array(9).fill(''), ...cited].join('\n'))).toEqual([2]);
    // A citation too far above does not count.
    expect(uncitedErrorSites([cited[0], ...Array(9).fill(''), cited[1]].join('\n'))).toEqual([11]);
  });
});
