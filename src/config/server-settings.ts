/**
 * drover.hcl's `server { … }` block → ServerSettings: durations parsed (Go syntax, reported at
 * their line and column when they do not parse or are not positive), TLS paths made absolute,
 * every default filled in. Pure apart from the host name default.
 */
import { hostname } from 'node:os';
import { localPath } from './defaults.js';
import type { HostFacts, ServerSettings } from './types.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import type { ConfigFile, ServerConfig } from '../generated/config.js';
import { parseDuration, MILLISECOND } from '../jobspec/duration.js';
import type { RangeIndex } from '../jobspec/ranges.js';

export const DEFAULT_SERVER_ADDRESS = '127.0.0.1';
export const DEFAULT_SERVER_PORT = 4646;

/** The duration arguments, their defaults, and the least each may be (ms). */
const DURATIONS = {
  reconcile_interval: { key: 'reconcileIntervalMs', default: '10s', min: 100 },
  node_check_interval: { key: 'nodeCheckIntervalMs', default: '10s', min: 100 },
  node_grace: { key: 'nodeGraceMs', default: '30s', min: 100 },
  // Renewed every ttl/3: shorter than a second leaves a busy machine no room to renew.
  lease_ttl: { key: 'leaseTtlMs', default: '15s', min: 1000 },
  gc_threshold: { key: 'gcThresholdMs', default: '4h', min: 1000 },
} as const;

type DurationName = keyof typeof DURATIONS;

/** The problem with a written duration, or its length in milliseconds. */
function durationMs(text: string, min: number): { ms: number } | { error: string } {
  const r = parseDuration(text);
  if (!r.ok) return { error: r.error };
  const ms = r.nanos / MILLISECOND;
  if (ms < min) return { error: `The duration must be at least ${min} ms; "${text}" is shorter.` };
  return { ms };
}

/** Reports what the schema cannot: durations that do not parse or are too short. */
export function checkServerRules(file: ConfigFile, ranges: RangeIndex, diags: Diagnostics): void {
  const server = file.server;
  if (!server) return;
  for (const [name, d] of Object.entries(DURATIONS) as [
    DurationName,
    (typeof DURATIONS)[DurationName],
  ][]) {
    const text = server[name];
    if (text === undefined) continue;
    const r = durationMs(text, d.min);
    if ('error' in r)
      diags.error(`Invalid value for "${name}"`, ranges.valueRange(`/server/${name}`), r.error);
  }
  if (server.tls?.verify_client && server.tls.ca === undefined)
    diags.error(
      'Missing required argument',
      ranges.nameRange('/server/tls'),
      'verify_client = true needs "ca": the CA certificate client certificates must be signed by.',
    );
}

/** The settings with every default; `server` must have passed checkServerRules. */
export function serverSettings(
  server: ServerConfig | undefined,
  baseDir: string,
  host: HostFacts,
): ServerSettings {
  const s = server ?? {};
  const ms = (name: DurationName): number => {
    const r = durationMs(s[name] ?? DURATIONS[name].default, DURATIONS[name].min);
    if ('error' in r) throw new Error(`server.${name}: ${r.error}`); // checked before
    return r.ms;
  };
  const tls = s.tls;
  return {
    address: s.address ?? DEFAULT_SERVER_ADDRESS,
    port: s.port ?? DEFAULT_SERVER_PORT,
    name: s.name ?? hostname(),
    region: s.region ?? 'global',
    datacenter: s.datacenter ?? 'dc1',
    selfHeal: s.self_heal ?? false,
    reconcileIntervalMs: ms('reconcile_interval'),
    nodeCheckIntervalMs: ms('node_check_interval'),
    nodeGraceMs: ms('node_grace'),
    leaseTtlMs: ms('lease_ttl'),
    gcThresholdMs: ms('gc_threshold'),
    logJson: s.log_json ?? false,
    acl: { enabled: s.acl?.enabled ?? false },
    ...(tls
      ? {
          tls: {
            cert: localPath(tls.cert, baseDir, host),
            key: localPath(tls.key, baseDir, host),
            ...(tls.ca !== undefined ? { ca: localPath(tls.ca, baseDir, host) } : {}),
            verifyClient: tls.verify_client ?? false,
          },
        }
      : {}),
  };
}
