// The suite's one table: plain aligned text for the terminal, Markdown for the README and the
// results file. Plain JavaScript (typed by table.d.mts) because both the vitest run and the
// `npm run reliability` launcher, which runs before any TypeScript is compiled, print it.

const HEADERS = ['part', 'test', 'tries', 'passed', 'lost', 'figures'];
const NUMERIC = new Set([2, 3]);

function cells(results) {
  return results.flatMap(({ part, rows }) =>
    rows.map((r) => [part, r.test, String(r.tries), String(r.passed), r.lost, r.figures ?? '']),
  );
}

/** Columns padded to their widest cell; the counts right-aligned. */
export function textTable(results) {
  const body = cells(results);
  const all = [HEADERS, ...body];
  const widths = HEADERS.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row) =>
    row
      .map((cell, c) => (NUMERIC.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(HEADERS), rule, ...body.map(line)].join('\n');
}

export function markdownTable(results) {
  const line = (row) => `| ${row.map((s) => s.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    line(HEADERS),
    line(HEADERS.map((_, c) => (NUMERIC.has(c) ? '---:' : '---'))),
    ...cells(results).map(line),
  ].join('\n');
}

/** The rows that did not pass every try, as "part: test (passed/tries): lost" lines. */
export function failures(results) {
  return results.flatMap(({ part, rows }) =>
    rows
      .filter((r) => r.passed < r.tries)
      .map((r) => `${part}: ${r.test} (${r.passed}/${r.tries} passed): ${r.lost}`),
  );
}
