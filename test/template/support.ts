/** Helpers for the template tests: render with data (as Go's tests do) or with a context. */
import type { TemplateContext } from '../../src/template/context.js';
import { execute } from '../../src/template/exec.js';
import { FUNCTIONS } from '../../src/template/functions.js';
import {
  parseTemplate,
  renderTemplate,
  TemplateError,
  type ParseOptions,
} from '../../src/template/index.js';
import type { Value } from '../../src/template/values.js';

export const EMPTY_CTX: TemplateContext = { env: {} };

/** Render `text` with `data` as dot, as Go's exec tests do (drover itself renders with nil data). */
export function renderData(text: string, data: Value, errMissingKey = false): string {
  const t = parseTemplate(text, { name: 'test' });
  // Go's Execute(w, nil) runs with no value at all as dot.
  return execute({ ...t, funcs: FUNCTIONS, ctx: EMPTY_CTX, errMissingKey }, data ?? undefined);
}

export function render(
  text: string,
  ctx: TemplateContext = EMPTY_CTX,
  opts: ParseOptions & { errMissingKey?: boolean } = {},
): string {
  return renderTemplate(parseTemplate(text, opts), ctx, opts);
}

/** The TemplateError a call throws (fails the test when it throws nothing or something else). */
export function errorOf(f: () => unknown): TemplateError {
  try {
    f();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError, got none');
}
