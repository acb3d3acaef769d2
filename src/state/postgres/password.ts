/**
 * Where the postgres backend's password comes from: PGPASSWORD, else ~/.pgpass (or PGPASSFILE),
 * as libpq reads them. Never drover.hcl. Read only when the server asks for a password.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface PasswordTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

export async function lookupPassword(
  target: PasswordTarget,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (env.PGPASSWORD !== undefined) return env.PGPASSWORD;
  const file = env.PGPASSFILE ?? join(homedir(), '.pgpass');
  try {
    // libpq ignores a password file others can read; so does drover.
    if (((await stat(file)).mode & 0o077) !== 0) return undefined;
    return matchPgpass(await readFile(file, 'utf8'), target);
  } catch {
    return undefined;
  }
}

/** The password of the first line of a .pgpass text that matches (`*` matches anything). */
export function matchPgpass(text: string, target: PasswordTarget): string | undefined {
  const wanted = [target.host, String(target.port), target.database, target.user];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitFields(line.replace(/\r$/, ''));
    if (fields.length < 5) continue;
    if (wanted.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields[4];
  }
  return undefined;
}

/** `a:b\:c:d` → [a, b:c, d]; `\\` is a backslash. */
function splitFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && out.length < 4) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
