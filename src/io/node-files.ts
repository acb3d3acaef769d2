/**
 * The real file system behind the pure layers' `FileAccess` (HCL's file functions, variable
 * files, job files). Edges (the CLI, config loading, tests that read real files) pass it in;
 * `hcl/` and `jobspec/` never import `node:fs` themselves (docs/architecture.md).
 */
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FileAccess } from '../hcl/files.js';

function stat(p: string): 'file' | 'dir' | undefined {
  try {
    return fs.statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

export const nodeFileAccess: FileAccess = {
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  readBytes: (p) => fs.readFileSync(p),
  stat,
  listDir: (p) => fs.readdirSync(p),
  // The directory's own entry types spare a stat per file; a symbolic link is followed, as
  // `stat` does.
  listDirKinds: (p) =>
    fs
      .readdirSync(p, { withFileTypes: true })
      .map((e) => [
        e.name,
        e.isSymbolicLink() ? stat(join(p, e.name)) : e.isDirectory() ? 'dir' : 'file',
      ]),
  homeDir: () => homedir(),
};
