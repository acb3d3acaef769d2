/**
 * The server's log: one line per decision or request problem on stderr, as text
 * (`2026-12-07T14:00:00.000Z [INFO] message key=value`) or, with `log_json`, one JSON object per
 * line (`{"@timestamp", "@level", "@message", …fields}`, the keys Nomad's JSON logs use).
 */
import type { ServerLog } from './types.js';

type Level = 'info' | 'warn' | 'error';

export interface LogOptions {
  json: boolean;
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createServerLog(opts: LogOptions): ServerLog {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const emit = (level: Level, message: string, fields: Record<string, unknown> = {}) => {
    const at = now().toISOString();
    write(
      opts.json
        ? JSON.stringify({ '@timestamp': at, '@level': level, '@message': message, ...fields }) +
            '\n'
        : `${at} [${level.toUpperCase()}] ${message}${textFields(fields)}\n`,
    );
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** ` key=value` pairs; values with spaces or quotes are JSON-quoted, a stack goes on its own lines. */
function textFields(fields: Record<string, unknown>): string {
  let out = '';
  let stack = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (k === 'stack' && typeof v === 'string') {
      stack = `\n${v}`;
      continue;
    }
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${/[\s"=]/.test(s) ? JSON.stringify(s) : s}`;
  }
  return out + stack;
}
