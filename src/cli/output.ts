/** Where commands print: human views styled per stream (see color.ts), or JSON for machines. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sortDiagnostics, type Diagnostic } from '../diag/diagnostic.js';
import { plainStyler, renderDiagnostic, toJsonDiagnostics, type Styler } from '../diag/render.js';
import { useColor } from './color.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  json: boolean;
  /** Styles what goes to stdout (`out`): colour only where stdout shows it. */
  style: Styler;
  /** Styles what goes to stderr (`err`): colour only where stderr shows it. */
  errStyle: Styler;
  stdoutIsTTY: boolean;
}

/** How the CLI was asked about colour, beside the streams and the environment. */
export interface OutputOptions {
  /** `-no-color` was given. */
  noColor?: boolean;
}

/** A styler that colours, or one that returns text as it is. */
export function styler(color: boolean): Styler {
  // chalk is loaded only to colour: loading it is ~13 ms of every command's start-up otherwise.
  if (!color) return plainStyler;
  const { Chalk } = createRequire(import.meta.url)('chalk') as typeof import('chalk');
  const c = new Chalk({ level: 1 });
  return {
    error: (s) => c.red.bold(s),
    warning: (s) => c.yellow.bold(s),
    bold: (s) => c.bold(s),
    dim: (s) => c.dim(s),
  };
}

export function processOutput(json: boolean, opts: OutputOptions = {}): Output {
  const color = (stream: NodeJS.WriteStream): boolean =>
    useColor({
      isTTY: Boolean(stream.isTTY),
      env: process.env,
      noColorFlag: Boolean(opts.noColor),
    });
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    json,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    style: styler(color(process.stdout)),
    errStyle: styler(color(process.stderr)),
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
  // One write for all of them: a directory of job files can have thousands of warnings.
  const text = sortDiagnostics(diags)
    .map((d) => renderDiagnostic(d, lookup, o.errStyle) + '\n\n')
    .join('');
  if (text) o.err(text);
}

export function printJson(o: Output, value: unknown): void {
  o.out(JSON.stringify(value, null, 2));
}

export function jsonDiagnostics(diags: readonly Diagnostic[]) {
  return toJsonDiagnostics(sortDiagnostics(diags));
}
