/**
 * Text helpers shared by the function families: grapheme clusters (cty measures strings in
 * them) and translation of Go RE2 regular expressions to JavaScript ones.
 */

// Made on first use: creating a grapheme segmenter loads ICU's break rules (~20 ms, ~3 MB),
// a cost every command paid at start-up although most never measure a string.
let segmenter: Intl.Segmenter | undefined;
function graphemeSegmenter(): Intl.Segmenter {
  return (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The user-perceived characters of s. */
export function graphemes(s: string): string[] {
  return Array.from(graphemeSegmenter().segment(s), (seg) => seg.segment);
}

export function graphemeCount(s: string): number {
  // Printable ASCII is one grapheme per character: no need for the segmenter.
  if (PRINTABLE_ASCII.test(s)) return s.length;
  let n = 0;
  for (const _ of graphemeSegmenter().segment(s)) n++;
  return n;
}

/** A compiled pattern, or the reason it is not valid. */
export type CompiledRegex =
  { ok: true; re: RegExp; names: (string | undefined)[] } | { ok: false; error: string };

/**
 * Compiles an RE2 pattern (Go's regexp syntax) to a JavaScript RegExp with the `u` flag. Handles
 * the differences that matter in practice: `(?P<name>…)` groups and leading `(?flags)`.
 */
export function compileRe2(pattern: string, global = false): CompiledRegex {
  let src = pattern;
  let flags = 'u' + (global ? 'g' : '');
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    src = src.slice(lead[0].length);
    for (const f of lead[1] ?? '') if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\z/g, '$')
    .replace(/\\A/g, '^');
  try {
    const re = new RegExp(src, flags);
    return { ok: true, re, names: groupNames(src) };
  } catch (e) {
    return { ok: false, error: `invalid regular expression: ${(e as Error).message}` };
  }
}

/** The name of each capture group in order (undefined for unnamed ones). */
function groupNames(src: string): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // skip a character class
      for (i++; i < src.length && src[i] !== ']'; i++) if (src[i] === '\\') i++;
      continue;
    }
    if (c !== '(') continue;
    if (src[i + 1] !== '?') names.push(undefined);
    else {
      const m = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
      if (m) names.push(m[1]);
    }
  }
  return names;
}

/** Go's regexp `Expand` template syntax: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
export function expandTemplate(template: string, match: RegExpMatchArray): string {
  return template.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_all, dollar: string, braced?: string, bare?: string) => {
      if (dollar === '$') return '$';
      const name = braced ?? bare ?? '';
      if (/^\d+$/.test(name)) return match[Number(name)] ?? '';
      return match.groups?.[name] ?? '';
    },
  );
}
