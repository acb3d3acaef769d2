/**
 * Crash-safe file replacement: readers see the old bytes or the new bytes, never a mix, and
 * after return the new bytes are on disk (the file is synced before the rename).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * Also sync the directory, so the rename itself survives a power cut (default true). Without
   * it a power cut may bring back the previous complete file, never a torn one; callers that
   * replace the same file many times sync the directory once instead of on every write.
   */
  syncDir?: boolean;
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  // Same directory, so rename() stays on one filesystem and is atomic.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    try {
      await fh.writeFile(data, typeof data === 'string' ? 'utf8' : undefined);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  if (opts.syncDir ?? true) await syncDir(dir);
}

/** Makes a rename or create in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return; // Some platforms (Windows) cannot open a directory; nothing more to do there.
  }
  try {
    await fh.sync();
  } catch (e) {
    // A few filesystems refuse fsync on a directory; the rename itself already happened.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    await fh.close();
  }
}
