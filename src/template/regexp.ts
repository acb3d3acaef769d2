/**
 * Go's regexp (RE2) syntax in JavaScript: the parts that translate (named groups `(?P<n>…)`,
 * leading flags `(?i)`/`(?s)`/`(?m)`, `\A`, `\z`, `\Q…\E`, POSIX classes, `\pL`) are rewritten;
 * what JavaScript cannot express the same way is refused with a message that says so.
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp>();

/** Compile a Go regular expression; `flags` adds JavaScript flags such as 'g'. */
export function goRegExp(re: string, flags: string): RegExp {
  const key = `${flags}/${re}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  const { source, flags: inline } = translate(re);
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, `${flags}${inline}u`);
  } catch (e) {
    throw new Error(
      `error parsing regexp: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
      { cause: e },
    );
  }
  cache.set(key, compiled);
  return compiled;
}

function unsupported(what: string): never {
  throw new Error(
    `regexp: ${what} is not supported by drover's translation of Go regular expressions`,
  );
}

function translate(re: string): { source: string; flags: string } {
  let flags = '';
  let rest = re;
  const lead = /^\(\?([imsU]+)\)/.exec(rest);
  if (lead) {
    if (lead[1]!.includes('U')) unsupported('the ungreedy flag (?U)');
    flags = [...new Set(lead[1])].join('');
    rest = rest.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\') {
      const e = rest[i + 1];
      if (e === undefined)
        throw new Error('error parsing regexp: trailing backslash at end of expression: ``');
      i++;
      if (e === 'Q') {
        const end = rest.indexOf('\\E', i + 1);
        const lit = rest.slice(i + 1, end < 0 ? undefined : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? rest.length : end + 1;
      } else if (e === 'A' && !inClass) out += '(?<![\\s\\S])';
      else if (e === 'z' && !inClass) out += '(?![\\s\\S])';
      else if ((e === 'p' || e === 'P') && rest[i + 1] !== '{') {
        out += `\\${e}{${rest[i + 1] ?? ''}}`;
        i++;
      } else if (e === 'C') unsupported('\\C');
      else if (/[0-9]/.test(e) && e !== '0') unsupported('a backreference');
      else if (/[A-Za-z0-9]/.test(e)) out += `\\${e}`;
      else out += /[\\^$.*+?()[\]{}|/-]/.test(e) ? `\\${e}` : e;
      continue;
    }
    if (inClass) {
      if (c === '[' && rest[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(rest.slice(i));
        if (m && POSIX[m[2]!]) {
          if (m[1]) unsupported('a negated POSIX class');
          out += POSIX[m[2]!];
          i += m[0].length - 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (rest[i + 1] === '^') out += rest[++i];
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && rest[i + 1] === '?') {
      const m = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest.slice(i));
      if (m) {
        out += `(?<${m[1]}>`;
        i += m[0].length - 1;
        continue;
      }
      if (rest[i + 2] === ':') {
        out += '(?:';
        i += 2;
        continue;
      }
      unsupported(`the group flags in ${JSON.stringify(rest.slice(i, i + 6))}`);
    }
    out += c;
  }
  return { source: out, flags };
}

/** Go's Regexp.ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` and `$$` in the replacement. */
export function regexReplaceAll(re: string, repl: string, s: string): string {
  const rx = goRegExp(re, 'g');
  return s.replace(rx, (...args: unknown[]) => {
    const hasGroups = typeof args[args.length - 1] === 'object';
    const groups = (hasGroups ? args[args.length - 1] : undefined) as
      Record<string, string | undefined> | undefined;
    const numbered = args.slice(0, hasGroups ? -3 : -2) as (string | undefined)[];
    return expand(repl, numbered, groups ?? {});
  });
}

function expand(
  template: string,
  numbered: (string | undefined)[],
  named: Record<string, string | undefined>,
): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    const m = /^\{([A-Za-z0-9_]+)\}|^([A-Za-z0-9_]+)/.exec(template.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    const name = m[1] ?? m[2]!;
    out += /^\d+$/.test(name) ? (numbered[Number(name)] ?? '') : (named[name] ?? '');
    i += m[0].length;
  }
  return out;
}
