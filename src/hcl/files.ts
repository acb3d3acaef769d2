/**
 * The file access HCL's file functions (`file()`, `fileexists()`, `fileset()`, `pathexpand()` …)
 * and variable files need. The HCL layer does no I/O of its own: the caller passes this in
 * (`src/io/node-files.ts` reads the real file system), so parsing and evaluating stay pure and
 * tests need no real files.
 */

export interface FileAccess {
  /** Reads a UTF-8 text file; throws (with a Node-style `code`) when it cannot. */
  readFile(path: string): string;
  readBytes(path: string): Uint8Array;
  /** What is at path, or undefined when nothing is. */
  stat(path: string): 'file' | 'dir' | undefined;
  /** Names of the entries of a directory. */
  listDir(path: string): string[];
  /**
   * The entries of a directory with what `stat` would say of each, when the file system tells
   * both at once (one call instead of one per entry); callers fall back to `listDir` + `stat`.
   */
  listDirKinds?: (path: string) => [name: string, kind: 'file' | 'dir' | undefined][];
  /** The user's home directory, for `~/` in paths; undefined when not known. */
  homeDir(): string | undefined;
}

/** Thrown by the operations of a file access nobody gave. */
function unavailable(what: string): never {
  throw Object.assign(new Error(`${what}: no file access was given to this evaluation`), {
    code: 'ENOACCESS',
  });
}

/** What an evaluation gets when its caller gave no file access: every file operation fails. */
export const noFileAccess: FileAccess = {
  readFile: (p) => unavailable(`cannot read "${p}"`),
  readBytes: (p) => unavailable(`cannot read "${p}"`),
  stat: () => undefined,
  listDir: () => [],
  homeDir: () => undefined,
};

/**
 * Completes partial file access. When only `readFile` is given (tests), the other operations are
 * derived from it; what cannot be derived has no file system behind it.
 */
export function completeFileAccess(given: Partial<FileAccess>): FileAccess {
  const custom = given.readFile;
  if (!custom) return { ...noFileAccess, ...given };
  const exists = (p: string): boolean => {
    try {
      custom(p);
      return true;
    } catch {
      return false;
    }
  };
  return {
    readFile: custom,
    readBytes: given.readBytes ?? ((p) => Buffer.from(custom(p), 'utf8')),
    stat: given.stat ?? ((p) => (exists(p) ? 'file' : undefined)),
    listDir: given.listDir ?? (() => []),
    ...(given.listDirKinds ? { listDirKinds: given.listDirKinds } : {}),
    homeDir: given.homeDir ?? (() => undefined),
  };
}
