/** Encoding functions: base64, JSON, YAML, CSV, URL query escaping. */
import { createRequire } from 'node:module';
import { formatNumber, setKey, sortedKeys, T } from '../types.js';
import { isValueObject, type Value, type ValueObject } from '../value.js';
import { argError, fn, param, type HclFunction } from './spec.js';

const str = (name: string) => param(name, T.string);

/** JSON as cty writes it: sorted keys, numbers without exponent, `<>&` escaped like Go. */
export function encodeJson(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') {
    return JSON.stringify(v)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }
  if (Array.isArray(v)) return `[${v.map(encodeJson).join(',')}]`;
  return `{${sortedKeys(v)
    .map((k) => `${encodeJson(k)}:${encodeJson(v[k]!)}`)
    .join(',')}}`;
}

/** Turns decoded JSON/YAML data into a Value; undefined when something has no HCL equivalent. */
export function toValue(data: unknown): Value | undefined {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string' || typeof data === 'boolean') return data;
  if (typeof data === 'number') return Number.isFinite(data) ? data : undefined;
  if (typeof data === 'bigint') return Number(data);
  if (data instanceof Date) return data.toISOString();
  if (Array.isArray(data)) {
    const out: Value[] = [];
    for (const d of data) {
      const v = toValue(d);
      if (v === undefined) return undefined;
      out.push(v);
    }
    return out;
  }
  if (typeof data === 'object') {
    const out: ValueObject = {};
    for (const [k, d] of Object.entries(data)) {
      const v = toValue(d);
      if (v === undefined) return undefined;
      setKey(out, k, v);
    }
    return out;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// YAML output in the style of go-cty-yaml: block style, every string double-quoted (or a literal
// block when it has newlines), keys sorted.

function yamlScalar(v: string | number | boolean | null, indent: string): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v.includes('\n') && !/[^\S\n]\n|\r/.test(v)) {
    const trailing = /\n+$/.exec(v)?.[0].length ?? 0;
    const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
    const body = trailing > 0 ? v.slice(0, -1) : v;
    const pad = indent + '  ';
    return `|${chomp}\n${body
      .split('\n')
      .map((l) => (l === '' ? '' : pad + l))
      .join('\n')}`;
  }
  return encodeJson(v)
    .replace(/\\u003c/g, '<')
    .replace(/\\u003e/g, '>')
    .replace(/\\u0026/g, '&');
}

function yamlLines(v: Value, indent: string): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return v
      .map((item) => {
        const inner = yamlLines(item, indent + '  ');
        const nested =
          (Array.isArray(item) || isValueObject(item)) && inner !== '[]' && inner !== '{}';
        return `${indent}- ${nested ? inner.slice(indent.length + 2) : inner}`;
      })
      .join('\n');
  }
  if (isValueObject(v)) {
    const keys = sortedKeys(v);
    if (keys.length === 0) return '{}';
    return keys
      .map((k) => {
        const item = v[k]!;
        const key = `${indent}${encodeJson(k)}:`;
        if (Array.isArray(item) && item.length > 0) return `${key}\n${yamlLines(item, indent)}`;
        if (isValueObject(item) && Object.keys(item).length > 0) {
          return `${key}\n${yamlLines(item, indent + '  ')}`;
        }
        return `${key} ${yamlLines(item, indent)}`;
      })
      .join('\n');
  }
  return yamlScalar(v, indent);
}

export function encodeYaml(v: Value): string {
  return `${yamlLines(v, '')}\n`;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180, as Go's encoding/csv reads it)

function parseCsv(src: string): string[][] | string {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let line = 1;
  const endField = () => {
    row.push(field);
    field = '';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const n = src[i];
        if (n !== undefined && n !== ',' && n !== '\n' && n !== '\r') {
          return `parse error on line ${line}: extraneous or missing " in quoted-field`;
        }
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      endField();
      i++;
    } else if (c === '\n' || c === '\r') {
      endField();
      rows.push(row);
      row = [];
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      line++;
    } else if (c === '"') {
      return `parse error on line ${line}: bare " in non-quoted-field`;
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) return `parse error on line ${line}: extraneous or missing " in quoted-field`;
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Go's url.QueryEscape: unreserved characters kept, space as "+", the rest %XX per byte. */
function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export const encodingFunctions: Record<string, HclFunction> = {
  base64encode: fn([str('str')], ([s]) => Buffer.from(s as string, 'utf8').toString('base64')),
  base64decode: fn([str('str')], ([s]) => {
    const text = s as string;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      return argError(0, 'failed to decode base64 data: illegal base64 data');
    }
    const bytes = Buffer.from(text, 'base64');
    if (!isValidUtf8(bytes)) {
      return argError(0, 'the result of decoding the provided string is not valid UTF-8');
    }
    return bytes.toString('utf8');
  }),
  jsonencode: fn([param('val', T.any, true)], ([v]) => encodeJson(v!)),
  jsondecode: fn([str('str')], ([s]) => {
    let data: unknown;
    try {
      data = JSON.parse(s as string);
    } catch (e) {
      return argError(0, `invalid JSON: ${(e as Error).message}`);
    }
    return toValue(data) ?? argError(0, 'the JSON value cannot be represented');
  }),
  yamlencode: fn([param('value', T.any, true)], ([v]) => encodeYaml(v!)),
  yamldecode: fn([str('src')], ([s]) => {
    const src = s as string;
    if (src.trim() === '') return null;
    let data: unknown;
    try {
      data = yaml().load(src);
    } catch (e) {
      return argError(0, `on line ${yamlLine(e)}: ${firstLine((e as Error).message)}`);
    }
    return toValue(data) ?? argError(0, 'the YAML value cannot be represented');
  }),
  csvdecode: fn([str('str')], ([s]) => {
    const rows = parseCsv(s as string);
    if (typeof rows === 'string') return argError(0, rows);
    const [header, ...records] = rows;
    if (!header) return argError(0, 'missing header line');
    const out: Value[] = [];
    for (const [i, r] of records.entries()) {
      if (r.length !== header.length) {
        return argError(0, `record on line ${i + 2}: wrong number of fields`);
      }
      const obj: ValueObject = {};
      header.forEach((h, j) => setKey(obj, h, r[j]!));
      out.push(obj);
    }
    return out;
  }),
  urlencode: fn([str('str')], ([s]) => queryEscape(s as string)),
};

function yamlLine(e: unknown): number | string {
  const mark = (e as { mark?: { line?: number } }).mark;
  return typeof mark?.line === 'number' ? mark.line + 1 : '?';
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** js-yaml, loaded the first time a configuration decodes YAML rather than on every start. */
function yaml(): typeof import('js-yaml') {
  return createRequire(import.meta.url)('js-yaml') as typeof import('js-yaml');
}
