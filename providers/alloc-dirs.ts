/**
 * Removing allocation directories (`<alloc_root>/<alloc-id>`) from a host: what a purge and the
 * allocation GC do. Each removal first ends whatever still runs of the allocation (its
 * supervisors, and every process that carries its NOMAD_ALLOC_ID), so a directory is never
 * pulled from under a live task. All directories of one host go in one round trip.
 */
import { buildDestroyScript } from './drivers/process-common.js';
import type { Transport } from './types.js';

export async function removeAllocDirs(
  transport: Transport,
  allocDirs: readonly string[],
): Promise<void> {
  // A node without a shell (the docker transport) has no directories of drover's.
  if (!transport.shell || allocDirs.length === 0) return;
  const script = allocDirs.map((d) => `(\n${buildDestroyScript(d)}\n) || exit 1`).join('\n');
  const r = await transport.shell.sh(script, { timeoutMs: 60_000 + 5_000 * allocDirs.length });
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ');
    throw new Error(`cannot remove ${allocDirs.join(', ')}: ${why || `exit code ${r.code}`}`);
  }
}
