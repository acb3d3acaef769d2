/**
 * What validation needs from a template's text: its syntax error, or the Consul and Vault
 * functions it calls (each once, at its first call). Most templates are a few simple actions:
 * `simpleTemplateCalls` recognises those in one scan of the text, without the renderer's tokens
 * and tree; anything else — anything that may be an error included — goes to the renderer's own
 * parser, so every message and position is the renderer's. Results are kept per text: job files
 * often repeat the same template.
 */
import {
  CONSUL_VAULT_FUNCTIONS,
  consulVaultCalls,
  parseTemplate,
  TemplateError,
  type CalledFunction,
} from '../template/index.js';
import { FUNCTIONS } from '../template/functions.js';
import { positionOf } from '../template/position.js';
import { simpleTemplateCalls, type TemplateCall } from './template-scan.js';

export type TemplateCheck =
  | { ok: true; consulVault: readonly CalledFunction[] }
  | { ok: false; message: string; line: number; column: number };

const DEFAULT_LEFT = '{{';
const DEFAULT_RIGHT = '}}';

/** Checks of texts with the default delimiters; emptied when full, so it stays small. */
const checked = new Map<string, TemplateCheck>();
const CHECKED_MAX = 1024;

const isTemplateFunction = (name: string): boolean => FUNCTIONS.has(name);
const CONSUL_VAULT = new Set(CONSUL_VAULT_FUNCTIONS);

/** The check of a template's text (empty delimiters: the default ones, as Nomad has them). */
export function checkTemplate(text: string, leftDelim = '', rightDelim = ''): TemplateCheck {
  const left = leftDelim || DEFAULT_LEFT;
  const right = rightDelim || DEFAULT_RIGHT;
  if (left !== DEFAULT_LEFT || right !== DEFAULT_RIGHT) return parsedCheck(text, left, right);
  let result = checked.get(text);
  if (result === undefined) {
    const calls = simpleTemplateCalls(text, isTemplateFunction);
    result = calls
      ? { ok: true, consulVault: consulVaultOf(text, calls) }
      : parsedCheck(text, left, right);
    if (checked.size >= CHECKED_MAX) checked.clear();
    checked.set(text, result);
  }
  return result;
}

/** The renderer's parse: its error, or the Consul and Vault calls it found. */
function parsedCheck(text: string, left: string, right: string): TemplateCheck {
  try {
    const parsed = parseTemplate(text, { leftDelim: left, rightDelim: right });
    const seen = new Set<string>();
    const calls = consulVaultCalls(parsed).filter((f) => !seen.has(f.name) && seen.add(f.name));
    return { ok: true, consulVault: calls };
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return { ok: false, message: err.message, line: err.line, column: err.column };
  }
}

/** The first call of each Consul or Vault function, with its line and column. */
function consulVaultOf(text: string, calls: readonly TemplateCall[]): CalledFunction[] {
  const out: CalledFunction[] = [];
  for (const c of calls)
    if (CONSUL_VAULT.has(c.name) && !out.some((f) => f.name === c.name))
      out.push({ name: c.name, ...positionOf(text, c.pos) });
  return out;
}
