/**
 * File-system functions. Relative paths resolve against the jobspec's directory (the scope's
 * baseDir), as Nomad's jobspec2 does; `abspath` resolves against the working directory.
 */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { T } from '../types.js';
import type { Value } from '../value.js';
import { argError, fn, FuncError, param, type CallContext, type HclFunction } from './spec.js';

const pathParam = param('path', T.string);

function expandHome(p: string, ctx: CallContext): string | FuncError {
  if (p !== '~' && !p.startsWith('~/')) return p;
  const home = ctx.scope.files.homeDir();
  if (home === undefined)
    return argError(0, `cannot expand "~": the home directory is not known here`);
  return p === '~' ? home : path.join(home, p.slice(2));
}

function resolve(p: string, ctx: CallContext): string | FuncError {
  const expanded = expandHome(p, ctx);
  if (expanded instanceof FuncError) return expanded;
  return path.isAbsolute(expanded) ? expanded : path.join(ctx.scope.baseDir, expanded);
}

function readFailure(p: string, e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return `no file exists at "${p}"`;
  if (code === 'EISDIR') return `"${p}" is a directory, not a file`;
  return `failed to read "${p}": ${(e as Error).message}`;
}

function readBytes(given: string, ctx: CallContext): Uint8Array | FuncError {
  const p = resolve(given, ctx);
  if (p instanceof FuncError) return p;
  if (ctx.scope.files.stat(p) === undefined) return argError(0, `no file exists at "${p}"`);
  try {
    return ctx.scope.files.readBytes(p);
  } catch (e) {
    return argError(0, readFailure(p, e));
  }
}

function fileHash(algorithm: string, encoding: 'hex' | 'base64'): HclFunction {
  return fn([pathParam], ([p], ctx) => {
    const bytes = readBytes(p as string, ctx);
    if (!(bytes instanceof Uint8Array)) return bytes;
    return crypto.createHash(algorithm).update(bytes).digest(encoding);
  });
}

/** Go's filepath.Clean-style base name: "" → ".", trailing slashes ignored. */
function goBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's filepath.Dir: everything but the last element, cleaned; "." when there is none. */
function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  const dir = i < 0 ? '' : p.slice(0, i + 1);
  if (dir === '') return '.';
  const cleaned = path.posix.normalize(dir);
  return cleaned.length > 1 ? cleaned.replace(/\/$/, '') : cleaned;
}

/** Translates a doublestar glob (`*`, `**`, `?`, `[…]`, `{a,b}`) to a regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/';
        re += slashAfter ? '(?:[^/]*/)*' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

/** Every file under dir, as slash-separated paths relative to dir. */
function walkFiles(dir: string, ctx: CallContext, prefix = '', out: string[] = []): string[] {
  let names: string[];
  try {
    names = ctx.scope.files.listDir(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const rel = prefix + name;
    const kind = ctx.scope.files.stat(full);
    if (kind === 'dir') walkFiles(full, ctx, `${rel}/`, out);
    else if (kind === 'file') out.push(rel);
  }
  return out;
}

export const filesystemFunctions: Record<string, HclFunction> = {
  file: fn([pathParam], ([given], ctx) => {
    const p = resolve(given as string, ctx);
    if (p instanceof FuncError) return p;
    try {
      return ctx.scope.files.readFile(p);
    } catch (e) {
      return argError(0, readFailure(p, e));
    }
  }),
  filebase64: fn([pathParam], ([p], ctx) => {
    const bytes = readBytes(p as string, ctx);
    return bytes instanceof Uint8Array ? Buffer.from(bytes).toString('base64') : bytes;
  }),
  fileexists: fn([pathParam], ([given], ctx) => {
    const p = resolve(given as string, ctx);
    if (p instanceof FuncError) return p;
    const kind = ctx.scope.files.stat(p);
    if (kind === 'dir') return argError(0, `"${p}" is a directory, not a file`);
    return kind === 'file';
  }),
  fileset: fn([pathParam, param('pattern', T.string)], ([given, pattern], ctx) => {
    const base = resolve(given as string, ctx);
    if (base instanceof FuncError) return base;
    let re: RegExp;
    try {
      re = globToRegExp(pattern as string);
    } catch {
      return argError(1, `failed to glob pattern "${pattern as string}": syntax error in pattern`);
    }
    const out: Value[] = walkFiles(base, ctx).filter((f) => re.test(f));
    return out.sort();
  }),
  filemd5: fileHash('md5', 'hex'),
  filesha1: fileHash('sha1', 'hex'),
  filesha256: fileHash('sha256', 'hex'),
  filesha512: fileHash('sha512', 'hex'),
  filebase64sha256: fileHash('sha256', 'base64'),
  filebase64sha512: fileHash('sha512', 'base64'),
  abspath: fn([pathParam], ([p]) => path.resolve(p as string)),
  basename: fn([pathParam], ([p]) => goBase(p as string)),
  dirname: fn([pathParam], ([p]) => goDir(p as string)),
  pathexpand: fn([pathParam], ([p], ctx) => expandHome(p as string, ctx)),
};
