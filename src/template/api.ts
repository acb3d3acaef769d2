import type { TemplateContext } from './context.js';
import { TemplateError } from './errors.js';

export interface ParseOptions {
  /** The template's name, for messages and `{{ template }}`; default "template". */
  name?: string;
  leftDelim?: string;
  rightDelim?: string;
}

export interface RenderOptions {
  /** Go's Option("missingkey=error"): a missing map key is an error, not `<no value>`. */
  errMissingKey?: boolean;
}

export interface CalledFunction {
  name: string;
  line: number;
  column: number;
}

/** A parsed template; opaque to callers. */
export interface ParsedTemplate {
  readonly name: string;
  readonly text: string;
}

export function parseTemplate(text: string, opts: ParseOptions = {}): ParsedTemplate {
  void text;
  void opts;
  throw new TemplateError('template parsing is not built yet', 1, 1);
}

export function calledFunctions(t: ParsedTemplate): CalledFunction[] {
  void t;
  return [];
}

export function renderTemplate(
  t: ParsedTemplate,
  ctx: TemplateContext,
  opts: RenderOptions = {},
): string {
  void ctx;
  void opts;
  throw new TemplateError(`rendering ${t.name} is not built yet`, 1, 1);
}
