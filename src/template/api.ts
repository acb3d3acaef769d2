import type { Node } from './ast.js';
import type { TemplateContext } from './context.js';
import { execute } from './exec.js';
import { FUNCTIONS } from './functions.js';
import { parse } from './parser.js';
import { positionOf } from './position.js';

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

/** A parsed template; its insides are the renderer's own. */
export interface ParsedTemplate {
  readonly name: string;
  readonly text: string;
  /** @internal */
  readonly root: Node[];
  /** @internal */
  readonly defines: Map<string, Node[]>;
  /** @internal */
  readonly calls: readonly { name: string; pos: number }[];
}

/** Every name a template may call: Go's builtins and consul-template's functions. */
const KNOWN = (name: string): boolean => FUNCTIONS.has(name);

/** Parse Go text/template syntax; throws TemplateError (an unknown function included). */
export function parseTemplate(text: string, opts: ParseOptions = {}): ParsedTemplate {
  const name = opts.name ?? 'template';
  const delims = { left: opts.leftDelim || '{{', right: opts.rightDelim || '}}' };
  const { root, defines, calls } = parse(text, delims, KNOWN);
  return { name, text, root, defines, calls };
}

/** Every function identifier the template calls, in order, with its position. */
export function calledFunctions(t: ParsedTemplate): CalledFunction[] {
  return t.calls.map((c) => ({ name: c.name, ...positionOf(t.text, c.pos) }));
}

/** Render with nil data, as consul-template does; throws TemplateError on runtime errors. */
export function renderTemplate(
  t: ParsedTemplate,
  ctx: TemplateContext,
  opts: RenderOptions = {},
): string {
  return execute(
    {
      name: t.name,
      text: t.text,
      root: t.root,
      defines: t.defines,
      funcs: FUNCTIONS,
      ctx,
      errMissingKey: opts.errMissingKey ?? false,
    },
    undefined,
  );
}
