/**
 * Nomad's rules for Variables (nomad/structs/variables.go, command/var_put.go): which paths are
 * valid, what items a Variable may hold, which keys templates can reach without `index`. Pure.
 */

/** RFC 3986 URL-safe characters that do not clash with `@` and `.` in templates, 1 to 128. */
const VALID_PATH = /^[a-zA-Z0-9\-_~/]{1,128}$/;

/** Nomad limits a Variable's items (keys and values, unencrypted) to 64 KiB. */
export const MAX_VARIABLE_SIZE = 65536;

/** Nomad's only namespace in drover. */
export const DEFAULT_NAMESPACE = 'default';

/** The path as `var put` takes it: spaces and leading or trailing slashes dropped. */
export function sanitizePath(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

/** Why `path` is not a valid Variable path, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'a Variable needs a path';
  if (!VALID_PATH.test(path))
    return `invalid path "${path}": use 1 to 128 of the characters a-z A-Z 0-9 - _ ~ /`;
  const parts = path.split('/');
  if (parts[0] !== 'nomad') return undefined;
  if (parts.length === 1)
    return '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", "nomad/job-templates", or below';
  if (parts[1] === 'jobs') return undefined;
  if (parts[1] === 'job-templates') {
    return parts.length === 3
      ? undefined
      : '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, for example, "nomad/job-templates/template-name"';
  }
  return 'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level "nomad" directory';
}

/** Why these items cannot be stored, or undefined. Keys and values are never echoed. */
export function itemsProblem(items: Readonly<Record<string, string>>): string | undefined {
  const keys = Object.keys(items);
  if (keys.length === 0) return 'empty variables are invalid: give at least one KEY=VALUE item';
  if (keys.includes('')) return 'an item needs a key (KEY=VALUE)';
  let size = 0;
  for (const [k, v] of Object.entries(items)) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (size > MAX_VARIABLE_SIZE) return 'variables are limited to 64KiB in total size';
  return undefined;
}

/**
 * A warning for a key templates can read only through `index` (Nomad warns and stores it), or
 * undefined for a plain identifier.
 */
export function keyWarning(key: string): string | undefined {
  const bad = [...new Set(key.match(/[^_\p{N}\p{L}]/gu) ?? [])].sort();
  if (bad.length === 0) return undefined;
  return `"${key}" contains characters [${bad.map((c) => `"${c}"`).join(',')}] that require the 'index' function for direct access in templates`;
}
