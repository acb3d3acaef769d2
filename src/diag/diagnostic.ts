import type { SourceRange } from './range.js';

export type Severity = 'error' | 'warning';

/** One problem found in user input. User errors are always reported this way, never thrown. */
export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  /** Where the problem is; absent only for problems with no place in a file (a missing file, a flag). */
  range?: SourceRange;
  /** A wider range giving context, e.g. the whole block around an attribute. */
  context?: SourceRange;
  /**
   * Something Nomad accepts that drover cannot run as written (its absence would change what
   * runs): a warning for `validate`, which judges the job as Nomad does, and an error for `plan`
   * and `apply`, which would run it.
   */
  refusedByPlan?: boolean;
}

/** Collects diagnostics from a pipeline stage; stages add to it and carry on where they can. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(summary: string, range?: SourceRange, detail?: string): void {
    this.items.push(diagnostic('error', summary, range, detail));
  }

  warning(summary: string, range?: SourceRange, detail?: string): void {
    this.items.push(diagnostic('warning', summary, range, detail));
  }

  /** What `plan` and `apply` refuse although the job is valid: see `Diagnostic.refusedByPlan`. */
  refusal(summary: string, range?: SourceRange, detail?: string): void {
    const d = diagnostic('warning', summary, range, detail);
    d.refusedByPlan = true;
    this.items.push(d);
  }

  add(d: Diagnostic): void {
    this.items.push(d);
  }

  extend(other: Iterable<Diagnostic>): void {
    for (const d of other) this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }

  get warningCount(): number {
    return this.items.filter((d) => d.severity === 'warning').length;
  }
}

/**
 * A diagnostic with only the keys that have values, in the order they always had. Built without
 * `delete`, which would turn each of thousands of warnings into a slow dictionary object.
 */
function diagnostic(
  severity: Severity,
  summary: string,
  range: SourceRange | undefined,
  detail: string | undefined,
): Diagnostic {
  const d: Diagnostic = { severity, summary };
  if (detail !== undefined) d.detail = detail;
  if (range !== undefined) d.range = range;
  return d;
}

/** Orders diagnostics by file, then position, errors before warnings at the same place. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    const fa = a.range?.filename ?? '';
    const fb = b.range?.filename ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const ba = a.range?.start.byte ?? -1;
    const bb = b.range?.start.byte ?? -1;
    if (ba !== bb) return ba - bb;
    return a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1;
  });
}
