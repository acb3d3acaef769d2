// Benchmark (issue 16): the web UI's size as a browser downloads it. Builds dist/ui with vite
// and measures every file there, raw and gzipped (level 9, as a server or CDN would send it).
// Goal: the whole UI at most 300 KB gzipped. No options.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const name = 'ui-bundle';
export const description = 'the built web UI (dist/ui): bytes raw and gzipped, against 300 KB';
export const options = [];

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist/ui');
const GOAL_BYTES = 300 * 1024;

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const path = join(dir, f);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export async function run(_options, log) {
  log('building the UI (vite build)');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const rows = files(dist).map((path) => {
    const bytes = readFileSync(path);
    return {
      file: relative(dist, path),
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
    };
  });
  const total = {
    file: 'total',
    raw: rows.reduce((n, r) => n + r.raw, 0),
    gzip: rows.reduce((n, r) => n + r.gzip, 0),
  };
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  return {
    name,
    title: 'Web UI bundle (dist/ui)',
    columns: [
      { key: 'file', label: 'file', align: 'left' },
      { key: 'raw', label: 'raw', format: kb },
      { key: 'gzip', label: 'gzipped', format: kb },
    ],
    rows: [...rows, total],
    notes: ['Everything the browser loads: no CDN, no web fonts (system fonts).'],
    goals: [
      {
        text: `at most ${kb(GOAL_BYTES)} gzipped (${kb(total.gzip)})`,
        met: total.gzip <= GOAL_BYTES,
      },
    ],
  };
}
