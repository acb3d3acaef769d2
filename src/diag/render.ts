import type { Diagnostic } from './diagnostic.js';
import type { SourceRange } from './range.js';

/** Reads the text of a file named in a diagnostic; returns undefined when it is not at hand. */
export type SourceLookup = (filename: string) => string | undefined;

export interface Styler {
  error(s: string): string;
  warning(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export const plainStyler: Styler = {
  error: (s) => s,
  warning: (s) => s,
  bold: (s) => s,
  dim: (s) => s,
};

/**
 * Renders one diagnostic for people: `file:line:col: error: summary`, a code frame with the
 * range underlined, then the detail.
 */
export function renderDiagnostic(
  d: Diagnostic,
  lookup: SourceLookup,
  style: Styler = plainStyler,
): string {
  const label = d.severity === 'error' ? style.error('error') : style.warning('warning');
  const where = d.range
    ? `${d.range.filename}:${d.range.start.line}:${d.range.start.column}: `
    : '';
  const lines = [`${where}${label}: ${style.bold(d.summary)}`];
  if (d.range) {
    const src = lookup(d.range.filename);
    if (src !== undefined) lines.push(...codeFrame(src, d.range, style));
  }
  if (d.detail) lines.push('', ...d.detail.split('\n').map((l) => (l ? `  ${l}` : '')));
  return lines.join('\n');
}

/** A few lines of source around the range, with a caret line under the first line of it. */
export function codeFrame(src: string, range: SourceRange, style: Styler = plainStyler): string[] {
  const all = sourceLines(src);
  const first = range.start.line;
  const last = Math.min(range.end.line, first + 2);
  const from = Math.max(1, first - 1);
  const to = Math.min(all.length, Math.max(last, first) + 1);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const text = (all[n - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
    const marker = n >= first && n <= last ? '>' : ' ';
    out.push(style.dim(`${marker} ${String(n).padStart(width)} | `) + text);
    if (n === first) {
      const startCol = range.start.column;
      const endCol =
        range.end.line === first ? Math.max(range.end.column, startCol + 1) : text.length + 1;
      const carets = '^'.repeat(Math.max(1, endCol - startCol));
      out.push(
        style.dim(`  ${' '.repeat(width)} | `) +
          ' '.repeat(Math.max(0, startCol - 1)) +
          style.error(carets),
      );
    }
  }
  return out;
}

/**
 * The lines of a source text. Diagnostics come sorted by file, so consecutive code frames are
 * usually of the same text: the last split is kept instead of splitting a file per diagnostic.
 */
let lastSplit: { src: string; lines: readonly string[] } | undefined;
function sourceLines(src: string): readonly string[] {
  if (lastSplit?.src !== src) {
    const lines = src.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    lastSplit = { src, lines };
  }
  return lastSplit.lines;
}

/** Terraform's `validate -json` shape. */
export interface JsonDiagnostics {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: Diagnostic[];
}

export function toJsonDiagnostics(ds: readonly Diagnostic[]): JsonDiagnostics {
  const error_count = ds.filter((d) => d.severity === 'error').length;
  return {
    valid: error_count === 0,
    error_count,
    warning_count: ds.length - error_count,
    diagnostics: ds.map(({ refusedByPlan: _plan, ...d }) => ({ ...d })),
  };
}
