/**
 * Checks that diagnostics point at real places in their source: the shared contract is 1-based
 * lines and columns and 0-based UTF-8 byte offsets, with start ≤ end, inside the file.
 */
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import type { Pos, SourceRange } from '../../src/diag/range.js';

/** Every way the diagnostics' ranges break the contract, as readable lines; empty when sound. */
export function rangeProblems(
  diagnostics: readonly Diagnostic[],
  source: string,
  filename: string,
): string[] {
  const bytes = Buffer.from(source, 'utf8');
  const problems: string[] = [];
  for (const d of diagnostics) {
    const where = `"${d.summary}"`;
    if (!d.range) {
      problems.push(`${where} has no range`);
      continue;
    }
    problems.push(...checkRange(d.range, bytes, filename).map((p) => `${where}: ${p}`));
    if (d.context) {
      problems.push(...checkRange(d.context, bytes, filename).map((p) => `${where} context: ${p}`));
    }
  }
  return problems;
}

function checkRange(r: SourceRange, bytes: Buffer, filename: string): string[] {
  const problems: string[] = [];
  if (r.filename !== filename) problems.push(`filename ${r.filename} is not ${filename}`);
  problems.push(...checkPos('start', r.start, bytes), ...checkPos('end', r.end, bytes));
  if (r.start.byte > r.end.byte) problems.push(`start byte ${r.start.byte} > end ${r.end.byte}`);
  const startFirst =
    r.start.line < r.end.line || (r.start.line === r.end.line && r.start.column <= r.end.column);
  if (!startFirst) problems.push(`start ${fmt(r.start)} is after end ${fmt(r.end)}`);
  return problems;
}

function checkPos(name: string, p: Pos, bytes: Buffer): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(p.line) || p.line < 1) problems.push(`${name} line ${p.line} < 1`);
  if (!Number.isInteger(p.column) || p.column < 1) problems.push(`${name} column ${p.column} < 1`);
  if (!Number.isInteger(p.byte) || p.byte < 0 || p.byte > bytes.length) {
    problems.push(`${name} byte ${p.byte} outside 0..${bytes.length}`);
  } else if (p.line !== lineAt(bytes, p.byte)) {
    problems.push(`${name} line ${p.line} but byte ${p.byte} is on line ${lineAt(bytes, p.byte)}`);
  }
  return problems;
}

/** The 1-based line holding a byte offset: one more than the newlines before it. */
function lineAt(bytes: Buffer, byte: number): number {
  let line = 1;
  for (let i = 0; i < byte; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function fmt(p: Pos): string {
  return `${p.line}:${p.column}`;
}
