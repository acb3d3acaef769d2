/** The colour decision, per stream: flag, NO_COLOR, FORCE_COLOR, TERM=dumb, then the TTY. */
import { describe, expect, it } from 'vitest';
import { useColor } from '../../src/cli/color.js';
import { styler } from '../../src/cli/output.js';

describe('useColor', () => {
  it.each<[string, boolean, Record<string, string>, boolean, boolean]>([
    ['a terminal', true, {}, false, true],
    ['a file or pipe', false, {}, false, false],
    ['-no-color on a terminal', true, {}, true, false],
    ['-no-color beats FORCE_COLOR', true, { FORCE_COLOR: '1' }, true, false],
    ['NO_COLOR=1 on a terminal', true, { NO_COLOR: '1' }, false, false],
    ['NO_COLOR with any value', true, { NO_COLOR: 'no' }, false, false],
    ['an empty NO_COLOR is unset', true, { NO_COLOR: '' }, false, true],
    ['NO_COLOR beats FORCE_COLOR', false, { NO_COLOR: '1', FORCE_COLOR: '1' }, false, false],
    ['FORCE_COLOR on a pipe', false, { FORCE_COLOR: '1' }, false, true],
    ['an empty FORCE_COLOR forces', false, { FORCE_COLOR: '' }, false, true],
    ['FORCE_COLOR=0 on a terminal', true, { FORCE_COLOR: '0' }, false, false],
    ['FORCE_COLOR=false on a terminal', true, { FORCE_COLOR: 'false' }, false, false],
    ['TERM=dumb on a terminal', true, { TERM: 'dumb' }, false, false],
    ['TERM=xterm on a pipe', false, { TERM: 'xterm' }, false, false],
  ])('%s', (_what, isTTY, env, noColorFlag, expected) => {
    expect(useColor({ isTTY, env, noColorFlag })).toBe(expected);
  });
});

describe('styler', () => {
  it('colours only when asked', () => {
    expect(styler(true).error('e')).toBe('\u001b[31m\u001b[1me\u001b[22m\u001b[39m');
    expect(styler(false).error('e')).toBe('e');
    expect(styler(false).bold('b')).toBe('b');
  });
});
