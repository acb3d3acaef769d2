/**
 * Hostile strings for the injection part: shell metacharacters, quotes, newlines, expansions
 * and very long values, each of which would create the canary file if any shell on the way
 * interpreted it; and how to write any string as an HCL string literal.
 */

export interface Hostile {
  label: string;
  value: string;
}

/** Values that run `touch <canary>` if a shell evaluates them (no NUL: argv cannot hold it). */
export function hostileValues(canary: string): Hostile[] {
  const touch = `touch ${canary}`;
  return [
    { label: 'semicolon', value: `a; ${touch}` },
    { label: 'command substitution', value: `$(${touch})` },
    { label: 'backticks', value: `\`${touch}\`` },
    { label: 'single quotes', value: `'; ${touch}; echo '` },
    { label: 'double quotes', value: `"; ${touch}; echo "` },
    { label: 'newline', value: `a\n${touch}\nb` },
    { label: 'pipe and and', value: `| ${touch} && ${touch} || ${touch}` },
    { label: 'IFS and braces', value: `\${IFS}$(touch\${IFS}${canary})` },
    { label: 'backslash quote', value: `\\'; ${touch}; #` },
    { label: 'expansions', value: `$HOME \${PATH} $$ $0 $1 * ? [a] ~ %s %n %{x} {{ .x }}` },
    { label: 'control characters', value: `\t\r\u0007\u001b[31m; ${touch}` },
    { label: 'unicode', value: `ünï©ødé 😀 \u202e; ${touch}` },
    { label: 'leading dash', value: `--help; ${touch}` },
    { label: 'long (60 kB)', value: `${'x'.repeat(60_000)}; ${touch}` },
  ];
}

/** `s` as an HCL quoted string (escapes, and `${`/`%{` made literal). */
export function hclString(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `"${out.replaceAll('${', '$${').replaceAll('%{', '%%{')}"`;
}
