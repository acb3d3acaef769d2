/** Where commands print: human views on a TTY-aware styler, or JSON for machines. */
import { readFileSync } from 'node:fs';
import { Chalk } from 'chalk';
import { sortDiagnostics, type Diagnostic } from '../diag/diagnostic.js';
import { renderDiagnostic, toJsonDiagnostics, type Styler } from '../diag/render.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  json: boolean;
  style: Styler;
  stdoutIsTTY: boolean;
}

export function processOutput(json: boolean): Output {
  const colorOut = process.stderr.isTTY && !process.env.NO_COLOR ? 1 : 0;
  const c = new Chalk({ level: colorOut });
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    json,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    style: {
      error: (s) => c.red.bold(s),
      warning: (s) => c.yellow.bold(s),
      bold: (s) => c.bold(s),
      dim: (s) => c.dim(s),
    },
  };
}

/** Source lookup for code frames: files already read, else the disk. */
export function sourceLookup(sources: Map<string, string>): (f: string) => string | undefined {
  return (f) => {
    const known = sources.get(f);
    if (known !== undefined) return known;
    try {
      const text = readFileSync(f, 'utf8');
      sources.set(f, text);
      return text;
    } catch {
      return undefined;
    }
  };
}

/** Prints diagnostics for people, sorted by place, with a blank line between them. */
export function printDiagnostics(
  o: Output,
  diags: readonly Diagnostic[],
  sources: Map<string, string>,
): void {
  const lookup = sourceLookup(sources);
  for (const d of sortDiagnostics(diags)) o.err(renderDiagnostic(d, lookup, o.style) + '\n\n');
}

export function printJson(o: Output, value: unknown): void {
  o.out(JSON.stringify(value, null, 2));
}

export function jsonDiagnostics(diags: readonly Diagnostic[]) {
  return toJsonDiagnostics(sortDiagnostics(diags));
}
