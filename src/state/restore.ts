/**
 * `snapshotRestore`, the same for every store: the snapshot file's state takes the place of the
 * current one, but the audit trail is kept (and the restore appended to it), so a restore never
 * erases who did what.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { restoredWithTrail } from './audit.js';
import type { SnapshotRestoreOptions, StateStore } from './store.js';
import type { StateSnapshot } from './types.js';
import { parseState } from './validate.js';

export async function restoreSnapshotFile(
  store: Pick<StateStore, 'read' | 'replace'>,
  file: string,
  opts: SnapshotRestoreOptions,
): Promise<StateSnapshot> {
  const snapshot = parseState(await readFile(resolve(file), 'utf8'), `snapshot ${file}`);
  const { audit, ...rest } = opts;
  const kept = restoredWithTrail(await store.read(), snapshot, audit);
  return store.replace(kept, { ...rest, source: `snapshot ${file}` });
}
