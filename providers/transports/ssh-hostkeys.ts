/**
 * Host key trust for the ssh transport, as pure functions: OpenSSH's known_hosts format (plain
 * and hashed host names, `[host]:port`, wildcards, negation, `@revoked`), key fingerprints as
 * `ssh-keygen -l` prints them, and the decision whether a key a server presents is trusted, new
 * (to be pinned in state) or refused.
 */
import { createHash, createHmac } from 'node:crypto';

/** A server's public key as drover pins it in state (`PinnedHostKey` without the time). */
export interface HostKey {
  /** The key type from inside the blob: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  algorithm: string;
  /** The public key blob, base64. */
  key: string;
  /** `SHA256:` and the unpadded base64 SHA-256 of the blob, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/** `SHA256:…` of a public key blob. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type an SSH public key blob starts with (a length-prefixed string). */
export function keyAlgorithm(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function describeHostKey(blob: Buffer): HostKey {
  return {
    algorithm: keyAlgorithm(blob),
    key: blob.toString('base64'),
    fingerprint: keyFingerprint(blob),
  };
}

// ---------------------------------------------------------------------------------------------
// known_hosts

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: a pattern list or a hashed `|1|salt|hash` name. */
  hosts: string;
  algorithm: string;
  /** Base64 blob. */
  key: string;
}

/** The entries of a known_hosts file; blank, comment and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, algorithm, key] = fields;
    if (hosts === undefined || algorithm === undefined || key === undefined) return;
    if (!/^[A-Za-z0-9+/]+=*$/.test(key)) return;
    entries.push({ line: i + 1, ...(marker ? { marker } : {}), hosts, algorithm, key });
  });
  return entries;
}

/** The name known_hosts files store a host under: `host` on port 22, else `[host]:port`. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Whether an entry's host field names `name` (from `knownHostName`). */
export function entryMatchesHost(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) return hashedNameMatches(hosts, name);
  let matched = false;
  for (const raw of hosts.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '' || !globMatches(pattern, name)) continue;
    // One matching negation rules the host out whatever else matches (as OpenSSH does).
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `|1|salt|hash`: the hash is HMAC-SHA1 of the name keyed with the salt, both base64. */
function hashedNameMatches(hosts: string, name: string): boolean {
  const [, , salt, hash] = hosts.split('|');
  if (!salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** A known_hosts host pattern: `*` any run of characters, `?` exactly one. */
export function globMatches(pattern: string, text: string): boolean {
  // Iterative matcher with backtracking to the last `*`: linear for the patterns seen here.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Entries (other than certificate authorities) that apply to the host. */
export function entriesForHost(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
): KnownHostEntry[] {
  const name = knownHostName(host, port);
  return entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e.hosts, name));
}

/** The host key algorithms drover accepts, in ssh2's default order of preference. */
export const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;
export type HostKeyAlgorithm = (typeof HOST_KEY_ALGORITHMS)[number];

/**
 * Host key algorithms in the order to offer them: the types already known for the host first,
 * so that it presents the key that was recorded (as OpenSSH orders them from known_hosts).
 */
export function hostKeyAlgorithmOrder(knownKeyTypes: readonly string[]): HostKeyAlgorithm[] {
  const first: HostKeyAlgorithm[] = [];
  for (const type of knownKeyTypes) {
    // An RSA key is one blob type signed with one of three algorithms.
    const algos = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
    for (const a of HOST_KEY_ALGORITHMS) if (algos.includes(a) && !first.includes(a)) first.push(a);
  }
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

// ---------------------------------------------------------------------------------------------
// The decision

export interface HostKeyCheck {
  /** What the message calls the host: `node web-1`, `bastion jump@10.0.0.1:22 of node web-1`. */
  subject: string;
  /** The node's name, for `drover node trust NODE`. */
  node: string;
  host: string;
  port: number;
  presented: HostKey;
  /** Entries of the user's known_hosts file (all hosts: filtered here). */
  knownHosts: readonly KnownHostEntry[];
  /** The file those came from, for messages. */
  knownHostsFile: string;
  /** The key pinned in drover's state on first contact, if any. */
  pinned?: Pick<HostKey, 'key' | 'fingerprint'>;
}

export type HostKeyVerdict =
  | {
      ok: true;
      /** Why it is trusted; `first-contact` when nothing vouched for it. */
      source: 'known_hosts' | 'pin' | 'known_hosts+pin' | 'first-contact';
      /** No pin yet: the caller should pin `presented`. */
      pinNow: boolean;
    }
  | { ok: false; message: string };

/**
 * Whether to accept the key a server presents. known_hosts and the pin must both agree where
 * they say anything; with neither, the key is accepted on first contact and pinned.
 */
export function checkHostKey(c: HostKeyCheck): HostKeyVerdict {
  const where = `${c.subject} (${c.host}:${c.port})`;
  const got = c.presented.fingerprint;
  const relevant = entriesForHost(c.knownHosts, c.host, c.port);

  const revoked = relevant.find((e) => e.marker === 'revoked' && e.key === c.presented.key);
  if (revoked) {
    return {
      ok: false,
      message: `host key ${got} of ${where} is marked @revoked in ${c.knownHostsFile} line ${revoked.line}`,
    };
  }

  const known = relevant.filter((e) => e.marker === undefined);
  const inKnownHosts = known.some((e) => e.key === c.presented.key);
  const [firstKnown] = known;
  if (firstKnown && !inKnownHosts) {
    // Prefer an entry of the same key type: that is the key the server replaced.
    const expected = known.find((e) => e.algorithm === c.presented.algorithm) ?? firstKnown;
    const expectedFp = keyFingerprint(Buffer.from(expected.key, 'base64'));
    const name = knownHostName(c.host, c.port);
    return {
      ok: false,
      message:
        `host key of ${where} changed: expected ${expectedFp} (${c.knownHostsFile} line ` +
        `${expected.line}), got ${got}; if this is expected, remove the old entry with ` +
        `\`ssh-keygen -R '${name}'\` and run \`drover node trust ${c.node}\``,
    };
  }

  if (c.pinned) {
    if (c.pinned.key !== c.presented.key) {
      return {
        ok: false,
        message:
          `host key of ${where} changed: expected ${c.pinned.fingerprint}, got ${got}; ` +
          `if this is expected, run \`drover node trust ${c.node}\``,
      };
    }
    return { ok: true, source: inKnownHosts ? 'known_hosts+pin' : 'pin', pinNow: false };
  }
  return { ok: true, source: inKnownHosts ? 'known_hosts' : 'first-contact', pinNow: true };
}
