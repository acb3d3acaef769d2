/**
 * The environment file of a template with `env = true`, read as Nomad reads it
 * (hashicorp/go-envparse): `KEY=value` lines, an optional `export ` prefix, whitespace around key
 * and value trimmed, `#` starting a comment outside quotes, single quotes literal, double quotes
 * with the escapes `\\`, `\"`, `\n` and `\t`. Blank lines and whole-line comments are skipped.
 * A malformed line throws, naming its line number (Nomad fails the task the same way).
 */

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      const [key, value] = parseEnvLine(line);
      env[key] = value;
    } catch (err) {
      throw new Error(`error on line ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
  });
  return env;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

function parseEnvLine(line: string): [string, string] {
  const eq = line.indexOf('=');
  if (eq < 0) throw new Error('missing "="');
  let key = line.slice(0, eq).trim();
  if (key.startsWith('export ')) key = key.slice('export '.length).trim();
  if (key === '') throw new Error('empty key');
  if (!/^[A-Za-z_]/.test(key))
    throw new Error(`key must start with [A-Za-z_] but found ${JSON.stringify(key[0])}`);
  const value = line.slice(eq + 1).trim();
  let out = '';
  // Unquoted whitespace before a trailing comment is not part of the value.
  let significant = 0;
  let mode: 'normal' | 'double' | 'single' | 'escape' = 'normal';
  for (const ch of value) {
    if (ch.charCodeAt(0) < 32)
      throw new Error(`${JSON.stringify(ch)} is an invalid value character`);
    switch (mode) {
      case 'normal':
        if (ch === '"') mode = 'double';
        else if (ch === "'") mode = 'single';
        else if (ch === '#') return [key, out.slice(0, significant)];
        else {
          out += ch;
          if (ch !== ' ' && ch !== '\t') significant = out.length;
        }
        break;
      case 'double':
        if (ch === '"') mode = 'normal';
        else if (ch === '\\') mode = 'escape';
        else significant = (out += ch).length;
        break;
      case 'escape': {
        const e = ESCAPES[ch];
        if (e === undefined) throw new Error(`invalid escape sequence: \\${ch}`);
        significant = (out += e).length;
        mode = 'double';
        break;
      }
      case 'single':
        if (ch === "'") mode = 'normal';
        else significant = (out += ch).length;
        break;
    }
  }
  if (mode === 'double') throw new Error('unmatched "');
  if (mode === 'single') throw new Error("unmatched '");
  if (mode === 'escape') throw new Error('incomplete escape sequence');
  return [key, out];
}
