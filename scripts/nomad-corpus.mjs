#!/usr/bin/env node
// Validates every job file in a directory one by one, as `drover validate FILE` does, and prints
// a table: file, errors, warnings and the first error. For sweeps over other people's job files
// (issue 12: "the job files of Nomad's own repository that Nomad accepts validate"); the files
// stay outside the repository.
//
//   npm run build && node scripts/nomad-corpus.mjs DIR [--errors-only] [--json]
//
// A file that needs variables without defaults gets them from a sidecar `FILE.vars` holding
// `name=value` lines (what `-var name=value` would pass). Exits 1 when any file has errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
if (!dir) {
  console.error('usage: node scripts/nomad-corpus.mjs DIR [--errors-only] [--json]');
  process.exit(2);
}
const dist = new URL('../dist/', import.meta.url);
if (!existsSync(new URL('src/jobspec/load.js', dist))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(2);
}
const { forEachJobFile } = await import(new URL('src/jobspec/load.js', dist).href);
const { jobLoadOptions } = await import(new URL('src/cli/common.js', dist).href);

const files = readdirSync(dir)
  .filter((f) => /\.(hcl|nomad)$/.test(f))
  .sort();
const rows = files.map((name) => {
  const file = join(dir, name);
  const varsFile = `${file}.vars`;
  const vars = existsSync(varsFile)
    ? readFileSync(varsFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
    : [];
  const { items } = forEachJobFile([file], jobLoadOptions({ var: vars }), () => {});
  const errors = items.filter((d) => d.severity === 'error');
  const first = errors[0];
  return {
    file: name,
    errors: errors.length,
    warnings: items.length - errors.length,
    first: first
      ? `${first.range ? `${first.range.start.line}:${first.range.start.column} ` : ''}${first.summary}`
      : '',
  };
});

const failed = rows.filter((r) => r.errors > 0);
if (args.includes('--json')) console.log(JSON.stringify({ files: rows.length, rows }, null, 2));
else {
  const shown = args.includes('--errors-only') ? failed : rows;
  const width = Math.max(4, ...shown.map((r) => r.file.length));
  console.log(`${'file'.padEnd(width)}  errors  warnings  first error`);
  for (const r of shown) {
    console.log(
      `${r.file.padEnd(width)}  ${String(r.errors).padStart(6)}  ${String(r.warnings).padStart(8)}  ${r.first}`,
    );
  }
  console.log(
    `\n${rows.length} files: ${rows.length - failed.length} validate, ${failed.length} with errors.`,
  );
}
process.exitCode = failed.length > 0 ? 1 : 0;
