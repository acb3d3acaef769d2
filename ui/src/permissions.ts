/**
 * What the signed-in token may do (`GET /v1/drover/whoami`), so pages show only the buttons it
 * may use. The server still checks every call; this only keeps useless buttons away. Pure (no
 * Preact here), so it is tested on its own.
 */
export interface WhoAmI {
  ACLEnabled: boolean;
  Actor: string;
  Management: boolean;
  /** Namespace name or glob → capabilities. */
  Namespaces: Record<string, string[]>;
  Node: 'read' | 'write' | 'deny';
  ApproveRequired: number;
}

/** Nomad's namespace globs: `*` matches any run of characters. */
export function globMatches(glob: string, name: string): boolean {
  const re = new RegExp(`^${glob.split('*').map(escape).join('.*')}$`);
  return re.test(name);
}
const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/**
 * The capabilities for `namespace`: an exact key wins, else the most specific (longest) glob,
 * as Nomad picks a policy's namespace rule.
 */
export function capabilitiesIn(who: WhoAmI, namespace: string): string[] {
  const exact = who.Namespaces[namespace];
  if (exact) return exact;
  const globs = Object.keys(who.Namespaces)
    .filter((g) => g.includes('*') && globMatches(g, namespace))
    .sort((a, b) => b.length - a.length);
  return globs[0] ? (who.Namespaces[globs[0]] ?? []) : [];
}

export function may(who: WhoAmI, capability: string, namespace = 'default'): boolean {
  if (who.Management) return true;
  const caps = capabilitiesIn(who, namespace);
  return caps.includes(capability) || caps.includes('write');
}

export function mayNode(who: WhoAmI): boolean {
  return who.Management || who.Node === 'write';
}
