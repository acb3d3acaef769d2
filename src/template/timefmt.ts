/** Go's time.Format layouts ("2006-01-02T15:04:05Z07:00"), for a time in UTC. */
import { DAYS, MONTHS } from '../hcl/functions/datetime.js';

export const RFC3339 = '2006-01-02T15:04:05Z07:00';

const p2 = (n: number): string => String(n).padStart(2, '0');

/** Layout elements, longest first where one is a prefix of another (Go's nextStdChunk). */
const ELEMENTS: [RegExp, (d: Date, m: RegExpExecArray) => string][] = [
  [/^January/, (d) => MONTHS[d.getUTCMonth()]!],
  [/^Jan/, (d) => MONTHS[d.getUTCMonth()]!.slice(0, 3)],
  [/^Monday/, (d) => DAYS[d.getUTCDay()]!],
  [/^Mon/, (d) => DAYS[d.getUTCDay()]!.slice(0, 3)],
  [/^MST/, () => 'UTC'],
  [/^2006/, (d) => String(d.getUTCFullYear()).padStart(4, '0')],
  [/^06/, (d) => p2(d.getUTCFullYear() % 100)],
  [/^002/, (d) => String(dayOfYear(d)).padStart(3, '0')],
  [/^__2/, (d) => String(dayOfYear(d)).padStart(3, ' ')],
  [/^01/, (d) => p2(d.getUTCMonth() + 1)],
  [/^02/, (d) => p2(d.getUTCDate())],
  [/^03/, (d) => p2(hour12(d))],
  [/^04/, (d) => p2(d.getUTCMinutes())],
  [/^05/, (d) => p2(d.getUTCSeconds())],
  [/^_2/, (d) => String(d.getUTCDate()).padStart(2, ' ')],
  [/^15/, (d) => p2(d.getUTCHours())],
  [/^1/, (d) => String(d.getUTCMonth() + 1)],
  [/^2/, (d) => String(d.getUTCDate())],
  [/^3/, (d) => String(hour12(d))],
  [/^4/, (d) => String(d.getUTCMinutes())],
  [/^5/, (d) => String(d.getUTCSeconds())],
  [/^PM/, (d) => (d.getUTCHours() >= 12 ? 'PM' : 'AM')],
  [/^pm/, (d) => (d.getUTCHours() >= 12 ? 'pm' : 'am')],
  [/^Z0[7]:00:00|^Z07:00|^Z0700|^Z07/, () => 'Z'],
  [/^-07:00:00/, () => '+00:00:00'],
  [/^-07:00/, () => '+00:00'],
  [/^-0700/, () => '+0000'],
  [/^-07/, () => '+00'],
  [/^[.,](0+|9+)(?![0-9])/, (d, m) => fraction(d, m[0])],
];

function hour12(d: Date): number {
  const h = d.getUTCHours() % 12;
  return h === 0 ? 12 : h;
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** `.000` (fixed digits) or `.999` (trailing zeros dropped) of the second; JS keeps milliseconds. */
function fraction(d: Date, spec: string): string {
  const digits = String(d.getUTCMilliseconds())
    .padStart(3, '0')
    .padEnd(9, '0')
    .slice(0, spec.length - 1);
  if (spec[1] === '0') return spec[0] + digits;
  const trimmed = digits.replace(/0+$/, '');
  return trimmed ? spec[0] + trimmed : '';
}

export function formatGoTime(d: Date, layout: string): string {
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    const rest = layout.slice(i);
    for (const [re, f] of ELEMENTS) {
      const m = re.exec(rest);
      // `.000` only counts after a seconds element, as a fraction; elsewhere it is text.
      if (m) {
        out += f(d, m);
        i += m[0].length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}
