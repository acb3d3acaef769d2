/**
 * The real file system behind the pure layers' `FileAccess` (HCL's file functions, variable
 * files, job files). Edges (the CLI, config loading, tests that read real files) pass it in;
 * `hcl/` and `jobspec/` never import `node:fs` themselves (docs/architecture.md).
 */
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import type { FileAccess } from '../hcl/files.js';

export const nodeFileAccess: FileAccess = {
  readFile: (p) => fs.readFileSync(p, 'utf8'),
  readBytes: (p) => fs.readFileSync(p),
  stat: (p) => {
    try {
      return fs.statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
  listDir: (p) => fs.readdirSync(p),
  homeDir: () => homedir(),
};
