// Reads a V8 CPU profile of `drover apply` (`node --cpu-prof`) and sorts its CPU time into the
// areas of drover a fix would touch: each sample goes to the innermost frame on its stack that
// belongs to a known area (JSON.stringify called by the state store counts as the state store;
// ssh2's cipher called by a Docker API request counts as ssh2). Also when each area was first and
// last seen, in ms from the profile's start, which places it on the apply's timeline.
import { readFileSync } from 'node:fs';

/** Area names and how to recognise their frames (url relative to the package, or a name). */
export const AREAS = [
  ['state store', (u) => /(^|\/)src\/state\/|src\/deploy\/recorder/.test(u)],
  ['ssh2 (cipher, framing)', (u) => u.includes('node_modules/ssh2/')],
  ['Docker API client', (u) => /node_modules\/(docker-modem|dockerode)\//.test(u)],
  ['fingerprint', (u) => /providers\/transports\/(ssh-)?fingerprint/.test(u)],
  ['transports', (u) => u.includes('providers/transports/')],
  ['drivers', (u) => u.includes('providers/drivers/')],
  ['scheduler + plan', (u) => /(^|\/)src\/(scheduler|plan)\//.test(u)],
  ['jobspec, HCL, config', (u) => /(^|\/)src\/(hcl|jobspec|config|generated)\//.test(u)],
  ['apply engine', (u) => /(^|\/)src\/deploy\//.test(u)],
  ['CLI and output', (u) => /(^|\/)src\/cli\/|node_modules\/chalk\//.test(u)],
  ['module loading', (u) => u.startsWith('node:internal/modules')],
  ['node http/net/streams', (u) => /^node:(_http|http|net|stream|internal\/streams)/.test(u)],
];

/**
 * `{ totalMs, idleMs, gcMs, areas: [{ area, ms, firstMs, lastMs }] }` sorted by ms; samples in
 * no area go to `other`.
 */
export function cpuByArea(file, root) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const prefix = new URL(`file://${root.endsWith('/') ? root : `${root}/`}`).href;
  const rel = (url) => (url.startsWith(prefix) ? url.slice(prefix.length) : url);

  const areaOf = new Map();
  const classify = (id) => {
    if (areaOf.has(id)) return areaOf.get(id);
    const frame = byId.get(id).callFrame;
    let area;
    if (frame.functionName === '(idle)') area = '(idle)';
    else if (frame.functionName === '(garbage collector)') area = '(garbage collector)';
    else if (frame.functionName === '(program)') area = '(program: V8 and native, no JS frame)';
    else {
      const url = rel(frame.url);
      area = AREAS.find(([, match]) => url && match(url))?.[0];
      const up = parent.get(id);
      if (!area) area = up === undefined ? 'other' : classify(up);
    }
    areaOf.set(id, area);
    return area;
  };

  const areas = new Map();
  let t = 0;
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    t += us;
    totalUs += us;
    const area = classify(id);
    const a = areas.get(area) ?? { area, us: 0, first: t, last: t };
    a.us += us;
    a.last = t;
    areas.set(area, a);
  });
  const take = (name) => {
    const a = areas.get(name);
    areas.delete(name);
    return a ? a.us / 1000 : 0;
  };
  const idleMs = take('(idle)');
  const gcMs = take('(garbage collector)');
  return {
    totalMs: totalUs / 1000,
    idleMs,
    gcMs,
    areas: [...areas.values()]
      .sort((a, b) => b.us - a.us)
      .map((a) => ({
        area: a.area,
        ms: a.us / 1000,
        firstMs: a.first / 1000,
        lastMs: a.last / 1000,
      })),
  };
}
