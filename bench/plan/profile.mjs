// Reads a V8 CPU profile (`node --cpu-prof`) and lists where the time went: the functions with
// the most self time, and drover's own functions with the most inclusive time (self plus what
// they call), which points at the step to fix rather than at the leaf it spends time in.
import { readFileSync } from 'node:fs';

/**
 * `{ totalMs, self: [{ name, ms }], drover: [{ name, ms }] }`, `top` of each; names are
 * `function file:line` with paths relative to `root`.
 */
export function hotSpots(file, root, top = 12) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const prefix = new URL(`file://${root.endsWith('/') ? root : `${root}/`}`).href;
  const name = (n) => {
    const f = n.callFrame;
    const where = f.url.startsWith(prefix) ? f.url.slice(prefix.length) : f.url;
    return `${f.functionName || '(anonymous)'} ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim();
  };

  const sampled = new Map();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    sampled.set(id, (sampled.get(id) ?? 0) + us);
    totalUs += us;
  });
  const self = new Map();
  const inclusive = new Map();
  for (const [id, us] of sampled) {
    const leaf = name(byId.get(id));
    self.set(leaf, (self.get(leaf) ?? 0) + us);
    // Each function once per sample, however deep it recurses.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = name(byId.get(cur));
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + us);
    }
  }
  const rank = (m, keep) =>
    [...m]
      .filter(([n]) => keep(n))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([n, us]) => ({ name: n, ms: us / 1000 }));
  const ours = (n) => / (?:[\w.-]+\/)?(?:src|providers)\//.test(n) && !n.includes('/cli/');
  return {
    totalMs: totalUs / 1000,
    self: rank(self, (n) => !n.startsWith('(idle)') && !n.startsWith('(program)')),
    drover: rank(inclusive, ours),
  };
}
