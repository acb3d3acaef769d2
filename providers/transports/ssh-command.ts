/**
 * Command lines for a remote POSIX shell. sshd hands the command string to the user's login
 * shell, so every argument is single-quoted (a quote inside becomes `'\''`): spaces, `$`,
 * backticks, newlines, globs and any bytes reach the program unchanged.
 */
import type { RunOptions } from '../types.js';

/** One word for a POSIX shell, whatever its content. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `cd` and `export`s that put a command in `opts.cwd` with `opts.env`, each followed by
 * `&&` (so a failing `cd` does not run the command elsewhere); empty without either.
 */
function prelude(opts: Pick<RunOptions, 'cwd' | 'env'>): string {
  const parts: string[] = [];
  if (opts.cwd !== undefined) parts.push(`cd ${shellQuote(opts.cwd)}`);
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    // A name that is not an identifier cannot be exported by a POSIX shell.
    if (!ENV_NAME.test(name)) throw new Error(`environment variable name "${name}" is not valid`);
    parts.push(`export ${name}=${shellQuote(value)}`);
  }
  return parts.map((p) => `${p} && `).join('');
}

/**
 * The command string running `argv` as one program. `exec` replaces the login shell, so a
 * signal sent to the session reaches the program itself.
 */
export function remoteCommand(
  argv: readonly string[],
  opts: Pick<RunOptions, 'cwd' | 'env'> = {},
): string {
  if (argv.length === 0) throw new Error('run: empty argv');
  return `${prelude(opts)}exec ${argv.map(shellQuote).join(' ')}`;
}

/** The command string that reads a script from standard input (see `scriptInput`). */
export function remoteScriptCommand(opts: Pick<RunOptions, 'cwd' | 'env'> = {}): string {
  return `${prelude(opts)}exec /bin/sh -s`;
}

/**
 * A script as `sh -s` input. The braces make the shell read the whole script before running
 * any of it, and give its commands an empty standard input, as `sh -c` would have: a command
 * that reads stdin must not eat the rest of the script.
 */
export function scriptInput(script: string): string {
  return `{ ${script}\n} </dev/null\n`;
}
