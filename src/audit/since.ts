/**
 * `drover audit -since T`: an RFC 3339 time, or a duration back from now (`24h`, `90m`, Go's
 * duration syntax, plus whole days: `7d`). Pure: `now` comes in.
 */
import { parseDuration } from '../jobspec/duration.js';

export type SinceResult = { ok: true; since: Date } | { ok: false; error: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseSince(text: string, now: Date): SinceResult {
  const t = text.trim();
  if (RFC3339.test(t)) {
    const at = Date.parse(t);
    if (!Number.isNaN(at)) return { ok: true, since: new Date(at) };
  }
  const days = /^(\d+)d$/.exec(t);
  const ms = days
    ? Number(days[1]) * 86_400_000
    : (() => {
        const d = parseDuration(t);
        return d.ok ? d.nanos / 1e6 : undefined;
      })();
  if (ms === undefined || ms < 0)
    return {
      ok: false,
      error: `-since must be an RFC 3339 time (2026-01-02T15:04:05Z) or a duration back from now (24h, 90m, 7d), got "${text}"`,
    };
  return { ok: true, since: new Date(now.getTime() - ms) };
}
