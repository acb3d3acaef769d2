/** Nomad's port list syntax for reserved ports: "22,80,8000-8010". */

export const MAX_PORT = 65535;

export type PortListResult = { ports: number[] } | { error: string };

/** Parses a port list into ports ascending, each once; reports the first bad item. */
export function parsePortList(text: string): PortListResult {
  const ports = new Set<number>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!m) return { error: `"${item}" is not a port or a range of ports (like 8000-8010).` };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (const p of [lo, hi])
      if (p < 1 || p > MAX_PORT) return { error: `Port ${p} is outside 1–${MAX_PORT}.` };
    if (hi < lo) return { error: `The range ${item} ends before it starts.` };
    for (let p = lo; p <= hi; p++) ports.add(p);
  }
  return { ports: [...ports].sort((a, b) => a - b) };
}
