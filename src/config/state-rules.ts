/**
 * Checks of the `state` block the schema cannot express: no password in the postgres URL (it
 * would sit in a file people commit and show in plans and logs), a URL that parses, and
 * arguments that mean nothing for the chosen backend.
 */
import type { Diagnostics } from '../diag/diagnostic.js';
import type { ConfigFile, StateConfig } from '../generated/config.js';
import type { RangeIndex } from '../jobspec/ranges.js';

/** The arguments only one backend reads. */
const ONLY_FOR: Record<string, 'local' | 'postgres'> = {
  path: 'local',
  url: 'postgres',
  schema: 'postgres',
  lock_mode: 'postgres',
};

export function checkStateRules(file: ConfigFile, ranges: RangeIndex, diags: Diagnostics): void {
  const state = file.state;
  if (!state) return;
  const backend = state.backend ?? 'local';
  for (const [name, owner] of Object.entries(ONLY_FOR)) {
    if (owner === backend || state[name as keyof StateConfig] === undefined) continue;
    diags.warning(
      'Argument has no effect',
      ranges.nameRange(`/state/${name}`),
      `"${name}" is read only by the "${owner}" backend; this state uses "${backend}".`,
    );
  }
  if (state.url !== undefined) checkUrl(state.url, ranges, diags);
}

function checkUrl(url: string, ranges: RangeIndex, diags: Diagnostics): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    diags.error(
      'Invalid value for "url"',
      ranges.valueRange('/state/url'),
      'The URL does not parse; write it as postgres://USER@HOST:PORT/DATABASE.',
    );
    return;
  }
  // The password itself is never repeated: the message may end up in CI logs.
  if (parsed.password !== '')
    diags.error(
      'Password in the state URL',
      ranges.valueRange('/state/url'),
      'drover.hcl must not hold the database password: remove it from the URL and give it to ' +
        'drover through the PGPASSWORD environment variable or a ~/.pgpass line ' +
        '(host:port:database:user:password).',
    );
}
