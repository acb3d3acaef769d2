/**
 * A node's fingerprint read through any transport: the host facts from `fingerprintScript` in
 * one `sh` round trip, then each driver's `detect` through the same transport, folded the way
 * the local transport folds them (a driver's attributes all under `driver.<name>`).
 */
import type { DriverFingerprint, NodeFingerprint } from '../../src/state/types.js';
import type { Driver, Transport } from '../types.js';
import { fingerprintScript, hostFacts, splitSections } from './fingerprint.js';

const FINGERPRINT_TIMEOUT_MS = 30_000;

export async function fingerprintThrough(
  transport: Transport,
  drivers: readonly Driver[],
  now: Date,
): Promise<NodeFingerprint> {
  // The host facts and the drivers' detection share the connection, in parallel.
  const [r, detected] = await Promise.all([
    transport.sh(fingerprintScript(transport.node.alloc_root), {
      timeoutMs: FINGERPRINT_TIMEOUT_MS,
    }),
    detectDrivers(transport, drivers),
  ]);
  const facts = hostFacts(splitSections(r.stdout));
  return {
    fingerprinted_at: now.toISOString(),
    attributes: sortKeys({ ...facts.attributes, ...detected.attributes }),
    resources: facts.resources,
    drivers: detected.drivers,
  };
}

/**
 * Each driver's `detect` through the transport: the attributes of the drivers found, and every
 * driver's fingerprint. A driver whose detection throws is not detected, with the reason.
 */
export async function detectDrivers(
  transport: Transport,
  drivers: readonly Driver[],
): Promise<{ attributes: Record<string, string>; drivers: Record<string, DriverFingerprint> }> {
  const attributes: Record<string, string> = {};
  const found: Record<string, DriverFingerprint> = {};
  await Promise.all(
    drivers.map(async (driver) => {
      try {
        const d = await driver.detect(transport);
        const attrs = driverAttributes(driver.name, d.attributes);
        found[driver.name] = { detected: d.detected, healthy: d.healthy, attributes: attrs };
        if (d.detected) Object.assign(attributes, attrs);
      } catch (e) {
        found[driver.name] = {
          detected: false,
          healthy: false,
          description: e instanceof Error ? e.message : String(e),
        };
      }
    }),
  );
  return { attributes, drivers: sortKeys(found) };
}

/** A driver's attributes, every key under `driver.<name>`. */
function driverAttributes(name: string, attrs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const inside = key === `driver.${name}` || key.startsWith(`driver.${name}.`);
    out[inside ? key : `driver.${name}.${key}`] = value;
  }
  return out;
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}
