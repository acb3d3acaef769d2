#!/usr/bin/env node
// Fails when the product code has an import cycle, between modules or between folders (layers).
// Which folder may import which is checked by eslint (eslint.layers.js); this script catches
// what a per-file rule cannot see: A → B → … → A. See docs/architecture.md, "Dependency rules".
//
//   node scripts/check-deps.mjs [--root DIR]   scans DIR/src and DIR/providers (default: repo)
//
// Type-only imports count: a cycle of types is still two layers that cannot be read apart.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SCANNED = ['src', 'providers'];

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of one file, resolved to the .ts files they name (`./x.js` → `./x.ts`). */
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'))
    .filter((target) => existsSync(target));
}

/** The layer a file belongs to: `src/<folder>` (a file directly in src is its own), or `providers`. */
function layerOf(root, file) {
  const parts = relative(root, file).split(sep);
  return parts[0] === 'src' ? `src/${parts[1]}` : parts[0];
}

/** Strongly connected components with more than one member, or a member importing itself. */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? new Set()).has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function main() {
  const at = process.argv.indexOf('--root');
  const root =
    at > 0 ? resolve(process.argv[at + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..');
  const files = SCANNED.flatMap((d) => sourceFiles(join(root, d)));
  const modules = new Map();
  const layers = new Map();
  /** One import per layer edge, to show where a layer cycle comes from. */
  const witness = new Map();
  for (const file of files) {
    const targets = importsOf(file);
    modules.set(file, new Set(targets));
    const from = layerOf(root, file);
    if (!layers.has(from)) layers.set(from, new Set());
    for (const target of targets) {
      const to = layerOf(root, target);
      if (to === from) continue;
      layers.get(from).add(to);
      const edge = `${from} -> ${to}`;
      if (!witness.has(edge))
        witness.set(edge, `${relative(root, file)} imports ${relative(root, target)}`);
    }
  }
  let failed = 0;
  for (const c of cycles(modules)) {
    failed++;
    console.error(
      `check-deps: import cycle between modules:\n  ${c.map((f) => relative(root, f)).join('\n  ')}`,
    );
  }
  for (const c of cycles(layers)) {
    failed++;
    const edges = [...witness].filter(([e]) => {
      const [from, to] = e.split(' -> ');
      return c.includes(from) && c.includes(to);
    });
    console.error(
      `check-deps: import cycle between folders ${c.join(', ')}:\n` +
        edges.map(([, why]) => `  ${why}`).join('\n'),
    );
  }
  if (failed > 0) process.exit(1);
  console.log(`check-deps: ${files.length} modules in ${layers.size} folders, no import cycles`);
}

main();
