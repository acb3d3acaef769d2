/**
 * What an `artifact` block asks for, read without I/O: where to fetch from (http(s) or a file
 * on the host, as go-getter detects them), the checksum to verify, whether and how to unpack,
 * and where it lands. The validator (plan refusals) and the fetch before a task starts
 * (src/deploy/artifacts.ts) both read artifacts through here, so they agree.
 */
import { posix } from 'node:path';

export type ChecksumType = 'md5' | 'sha1' | 'sha256' | 'sha512';

export interface Checksum {
  type: ChecksumType;
  /** Lower-case hex digest. */
  hex: string;
}

/** Archives drover unpacks on the host, with the tools that do it. */
export type ArchiveKind = 'tar' | 'tar.gz' | 'tar.bz2' | 'tar.xz' | 'zip';

export type ArtifactSource =
  | { kind: 'http'; url: string }
  | { kind: 'file'; path: string }
  | { kind: 'refused'; reason: string };

/** What a fetch does with one artifact. */
export interface ArtifactPlan {
  source: Exclude<ArtifactSource, { kind: 'refused' }>;
  checksum?: Checksum;
  /** Unpack into the destination directory; undefined: the download is kept as it is. */
  archive?: ArchiveKind;
  mode: 'any' | 'file' | 'dir';
  /** The download's own name (last path element), for `mode = "any"` non-archives. */
  fileName: string;
}

// go-getter's checksum digests, in bytes (crypto/md5.Size …).
const DIGEST_BYTES: Record<ChecksumType, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

// go-getter's forced getters ("git::…") and the hosts its detectors turn into them.
const FORCED = /^([a-z0-9]+)::/i;
const DETECTED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(git@|github\.com\/|gitlab\.com\/)/i, 'git'],
  [/^bitbucket\.org\//i, 'bitbucket (git or hg)'],
  [/^[a-z0-9.-]+\.s3[.-][a-z0-9.-]*amazonaws\.com\//i, 's3'],
  [/^www\.googleapis\.com\/storage\//i, 'gcs'],
];
const SCHEMES_NOT_BUILT = new Set(['git', 'hg', 's3', 'gcs', 'ssh', 'ftp', 'smb']);

// go-getter's decompressors by suffix, longest first so "x.tar.gz" is not read as ".gz".
const ARCHIVE_SUFFIXES: ReadonlyArray<readonly [string, ArchiveKind | 'single']> = [
  ['.tar.gz', 'tar.gz'],
  ['.tgz', 'tar.gz'],
  ['.tar.bz2', 'tar.bz2'],
  ['.tbz2', 'tar.bz2'],
  ['.tar.xz', 'tar.xz'],
  ['.txz', 'tar.xz'],
  ['.tar', 'tar'],
  ['.zip', 'zip'],
  ['.gz', 'single'],
  ['.bz2', 'single'],
  ['.xz', 'single'],
];
const ARCHIVE_NAMES: Record<string, ArchiveKind | 'single'> = {
  ...Object.fromEntries(ARCHIVE_SUFFIXES.map(([s, k]) => [s.slice(1), k])),
};

/** Where an artifact comes from, or why drover refuses it (sources it has no getter for). */
export function parseArtifactSource(source: string): ArtifactSource {
  const forced = FORCED.exec(source);
  if (forced) return notBuilt(`the ${forced[1]!.toLowerCase()}:: getter`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return { kind: 'http', url: source };
  if (scheme === 'file') {
    const path = decodeURIComponent(new URL(source).pathname);
    return { kind: 'file', path };
  }
  if (scheme) {
    return SCHEMES_NOT_BUILT.has(scheme)
      ? notBuilt(`${scheme}:// sources`)
      : { kind: 'refused', reason: `${scheme}:// is not a source go-getter or drover knows` };
  }
  const detected = DETECTED.find(([re]) => re.test(source));
  if (detected) return notBuilt(`${detected[1]} sources (go-getter detects ${source} as one)`);
  // go-getter's file detector: any other address is a path on the host.
  return { kind: 'file', path: source };
}

function notBuilt(what: string): ArtifactSource {
  return {
    kind: 'refused',
    reason: `drover fetches http(s) and local file artifacts only; ${what} are not built yet`,
  };
}

/**
 * A checksum option as Nomad validates it (structs.go TaskArtifact.validateChecksum):
 * "type:hex" with type md5, sha1, sha256 or sha512 and a digest of that type's length.
 * Throws with Nomad's words.
 */
export function parseChecksum(value: string): Checksum {
  const check = value.trim();
  if (check === '') throw new Error('checksum value cannot be empty');
  const parts = check.split(':');
  if (parts.length !== 2)
    throw new Error(`checksum must be given as "type:value"; got ${JSON.stringify(check)}`);
  const [type, hex] = parts as [string, string];
  if (!(type in DIGEST_BYTES)) throw new Error(`unsupported checksum type: ${type}`);
  if (!/^([0-9a-f]{2})*$/i.test(hex))
    throw new Error(`invalid checksum: ${JSON.stringify(hex)} is not hex`);
  if (hex.length !== DIGEST_BYTES[type as ChecksumType] * 2)
    throw new Error(`invalid ${type} checksum: ${hex}`);
  return { type: type as ChecksumType, hex: hex.toLowerCase() };
}

export const formatChecksum = (c: Checksum): string => `${c.type}:${c.hex}`;

/**
 * The unpacking an `archive` option or the source's name asks for; undefined for none. go-getter
 * also unpacks single compressed files (.gz, .bz2, .xz), which drover does not yet: that throws.
 */
export function archiveOf(name: string, option: string | undefined): ArchiveKind | undefined {
  if (option === 'false') return undefined;
  const kind =
    option !== undefined && option !== '' && option !== 'true'
      ? ARCHIVE_NAMES[option]
      : ARCHIVE_SUFFIXES.find(([suffix]) => name.toLowerCase().endsWith(suffix))?.[1];
  if (option && option !== 'true' && kind === undefined)
    throw new Error(`unknown archive type ${JSON.stringify(option)}`);
  if (kind === 'single')
    throw new Error(
      'single compressed files (.gz, .bz2, .xz) are not unpacked by drover yet; set options { archive = false } to fetch the file as it is',
    );
  return kind;
}

/**
 * Everything a fetch needs to know about an artifact, from its (interpolated) fields. The
 * `checksum` and `archive` options may also be given in an http URL's query, as go-getter
 * reads them; they are taken out of the URL fetched. Throws when the artifact cannot be fetched.
 */
export function planArtifact(a: {
  source?: string;
  mode?: string;
  options?: Record<string, string | undefined>;
}): ArtifactPlan {
  if (!a.source) throw new Error('source must be specified');
  const parsed = parseArtifactSource(a.source);
  if (parsed.kind === 'refused') throw new Error(parsed.reason);
  const options: Record<string, string | undefined> = { ...a.options };
  let source: ArtifactPlan['source'] = parsed;
  let name: string;
  if (parsed.kind === 'http') {
    const url = new URL(parsed.url);
    for (const key of ['checksum', 'archive']) {
      const v = url.searchParams.get(key);
      if (v !== null) {
        options[key] ??= v;
        url.searchParams.delete(key);
      }
    }
    source = { kind: 'http', url: url.toString() };
    name = decodeURIComponent(url.pathname);
  } else {
    name = parsed.path;
  }
  const fileName = posix.basename(name) || 'download';
  const mode = a.mode === 'file' || a.mode === 'dir' ? a.mode : 'any';
  const checksum = options.checksum !== undefined ? parseChecksum(options.checksum) : undefined;
  // Nomad: mode "file" keeps the download as it is.
  const archive = mode === 'file' ? undefined : archiveOf(fileName, options.archive);
  return {
    source,
    mode,
    fileName,
    ...(checksum ? { checksum } : {}),
    ...(archive ? { archive } : {}),
  };
}

/**
 * The host path an artifact lands at: `destination` under the task directory (an absolute one
 * inside the allocation directory is kept, as Nomad's TaskEnv.ClientPath does). Throws when it
 * would leave the allocation directory.
 */
export function artifactDestination(allocDir: string, task: string, destination: string): string {
  const taskDir = posix.join(allocDir, task);
  const inside = (p: string) => p === allocDir || p.startsWith(`${allocDir}/`);
  const path =
    posix.isAbsolute(destination) && inside(posix.normalize(destination))
      ? posix.normalize(destination)
      : posix.join(taskDir, destination);
  if (!inside(path) || path === allocDir)
    throw new Error(`destination ${JSON.stringify(destination)} escapes the allocation directory`);
  return path.replace(/\/+$/, '');
}
