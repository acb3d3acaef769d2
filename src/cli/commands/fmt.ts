import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Diagnostics } from '../../diag/diagnostic.js';
import { formatHCL } from '../../hcl/format.js';
import { nodeFileAccess } from '../../io/node-files.js';
import { findJobFiles } from '../../jobspec/files.js';
import { printDiagnostics, printJson, jsonDiagnostics, type Output } from '../output.js';

interface FmtOptions {
  check?: boolean;
  list?: boolean;
  write?: boolean;
  diff?: boolean;
  json?: boolean;
}

export function registerFmt(program: Command, io: (json: boolean) => Output): void {
  program
    .command('fmt')
    .description('rewrite jobspecs in the canonical layout')
    .argument('[paths...]', 'job files or directories (default: the current directory)')
    .option('--check', 'change nothing; exit 1 when a file is not formatted')
    .option('--list', 'print the names of files whose formatting differs (default)', true)
    .option('--no-list', 'do not list changed files')
    .option('--no-write', 'do not write the result back to the files')
    .option('--diff', 'print the changes as a unified diff')
    .option('--json', 'print machine-readable JSON')
    .action(async (paths: string[], opts: FmtOptions) => {
      const o = io(Boolean(opts.json));
      const diags = new Diagnostics();
      const sources = new Map<string, string>();
      // fmt also formats variable files and drover.hcl, unlike the job loaders.
      const files = findJobFiles(paths.length ? paths : ['.'], nodeFileAccess, diags, {
        includeAll: true,
      });
      const changed: string[] = [];
      const diff = opts.diff && !o.json ? await import('diff') : undefined;
      for (const file of files) {
        const src = readFileSync(file, 'utf8');
        sources.set(file, src);
        const r = formatHCL(src, file);
        diags.extend(r.diagnostics);
        if (!r.changed) continue;
        changed.push(file);
        if (diff)
          o.out(diff.createTwoFilesPatch(file, file, src, r.output, 'original', 'formatted'));
        if (!opts.check && opts.write !== false) writeFileSync(file, r.output);
        if (opts.list !== false && !o.json) o.out(file);
      }
      if (o.json) printJson(o, { changed, ...jsonDiagnostics(diags.items) });
      else printDiagnostics(o, diags.items, sources);
      process.exitCode = diags.hasErrors || (opts.check && changed.length > 0) ? 1 : 0;
    });
}
