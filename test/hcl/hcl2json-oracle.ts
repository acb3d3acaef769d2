/**
 * HashiCorp's HCL parser as an oracle: @cdktf/hcl2json (hclsyntax + tmccombs/hcl2json, WASM).
 *
 * Loaded through `require` on purpose: its type declarations pull the DOM library into the whole
 * program (`/// <reference lib="dom" />`), which would change Node's global types for everyone.
 */
import { createRequire } from 'node:module';
import type { JsonObject } from './hcl2json-shape.js';

interface Hcl2Json {
  parse(filename: string, source: string): Promise<JsonObject>;
}

const hcl2jsonModule = createRequire(import.meta.url)('@cdktf/hcl2json') as Hcl2Json;

/** hcl2json's JSON for a file; rejects with hcl2json's message (`parse config: [...]`). */
export function hcl2json(filename: string, source: string): Promise<JsonObject> {
  return hcl2jsonModule.parse(filename, source);
}

/** The outcome of hcl2json on a source: its JSON, a syntax error, or a conversion error. */
export type OracleResult =
  | { kind: 'ok'; json: JsonObject }
  | { kind: 'syntax-error'; message: string }
  | { kind: 'convert-error'; message: string };

export async function runOracle(filename: string, source: string): Promise<OracleResult> {
  try {
    return { kind: 'ok', json: await hcl2json(filename, source) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // "parse config:" is hclsyntax rejecting the text; anything else is the JSON conversion
    // failing on text that parsed (e.g. `-null`, or labelled and unlabelled blocks of one type).
    return message.startsWith('parse config:')
      ? { kind: 'syntax-error', message }
      : { kind: 'convert-error', message };
  }
}
