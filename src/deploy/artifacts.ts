/**
 * Fetches a task's artifacts into its directory before the task starts: Nomad's client
 * artifact hook. Each artifact is downloaded on the host when it has curl or wget (and the
 * checksum tool it needs), otherwise by drover, verified and uploaded over the transport; then
 * it is unpacked or put in place on the host. Container tasks see the task's local/ directory
 * mounted at /local, so fetching into the host-side task directory serves every driver.
 * A failure throws, naming the artifact: the task does not start and its allocation fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Shell, TaskContext } from '../../providers/types.js';
import { shQuote } from '../../providers/drivers/supervisor.js';
import type { NormalizedArtifact as Artifact } from '../generated/normalized-job.js';
import {
  artifactDestination,
  formatChecksum,
  planArtifact,
  type ArtifactPlan,
  type Checksum,
} from '../jobspec/artifact-source.js';

/** Programs on the host an artifact fetch may use. */
const TOOLS = ['curl', 'wget', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum'] as const;

const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
/** Stands for the staged download's path in a host command line. */
const STAGED: unique symbol = Symbol('staged download');

export interface FetchOptions {
  /** The programs the host has (probed once per host when absent). */
  tools?: ReadonlySet<string>;
}

/** Fetches every artifact of the task, in order; throws `artifact "<source>": why` on the first failure. */
export async function fetchArtifacts(ctx: TaskContext, opts: FetchOptions = {}): Promise<void> {
  const artifacts = ctx.task.artifact ?? [];
  if (artifacts.length === 0) return;
  const shell = ctx.transport.shell;
  if (!shell)
    throw new Error(
      `node ${ctx.node.name} has no shell (docker transport), so drover cannot fetch the task's artifacts: not built yet; use the ssh or local transport for tasks with artifacts`,
    );
  const tools = opts.tools ?? (await hostTools(shell));
  for (const a of artifacts) {
    try {
      await fetchArtifact(shell, tools, ctx, a);
    } catch (err) {
      throw new Error(`artifact ${JSON.stringify(a.source ?? '')}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

async function fetchArtifact(
  shell: Shell,
  tools: ReadonlySet<string>,
  ctx: TaskContext,
  a: Artifact,
): Promise<void> {
  const plan = planArtifact(a);
  const dest = artifactDestination(ctx.allocDir, ctx.task.name, a.destination);
  // Staged next to the task's files (same file system, so the final move is a rename).
  const staging = posix.join(
    ctx.allocDir,
    ctx.task.name,
    `.artifact-${randomBytes(6).toString('hex')}`,
  );
  const sum = plan.checksum && `${plan.checksum.type}sum`;
  let obtain: string;
  let verifyOnHost = plan.checksum !== undefined;
  if (plan.source.kind === 'file') {
    obtain = copyLocal(plan.source.path);
  } else if ((tools.has('curl') || tools.has('wget')) && (!sum || tools.has(sum))) {
    obtain = download(tools.has('curl') ? 'curl' : 'wget', plan.source.url, a);
  } else {
    const body = await downloadHere(plan.source.url, a);
    if (plan.checksum)
      verify(plan.checksum, createHash(plan.checksum.type).update(body).digest('hex'));
    verifyOnHost = false;
    await shell.upload(`${staging}/download`, body, 0o644);
    obtain = '';
  }
  if (verifyOnHost && sum && !tools.has(sum))
    throw new Error(`node ${ctx.node.name} has no ${sum} to verify the checksum with`);
  const script = [
    'set -u',
    `tmp=${shQuote(staging)}`,
    `dest=${shQuote(dest)}`,
    'f="$tmp/download"',
    'trap \'rm -rf "$tmp"\' EXIT',
    'mkdir -p "$tmp" || exit 1',
    obtain,
    verifyOnHost && plan.checksum ? checkOnHost(plan.checksum, plan.source.kind === 'file') : '',
    place(plan),
  ]
    .filter(Boolean)
    .join('\n');
  const r = await shell.sh(script, { timeoutMs: DOWNLOAD_TIMEOUT_MS });
  if (r.code !== 0)
    throw new Error(r.stderr.trim().split('\n').join('; ') || `exit code ${r.code}`);
}

/** A local source: a directory is copied as it is (placed later), a file into the staging area. */
function copyLocal(path: string): string {
  return [
    `src=${shQuote(path)}`,
    '[ -e "$src" ] || { echo "no such file or directory on the host: $src" >&2; exit 1; }',
    'if [ ! -d "$src" ]; then cp -- "$src" "$f" || exit 1; fi',
  ].join('\n');
}

/** The host's download command; its own error reaches the message. */
function download(tool: 'curl' | 'wget', url: string, a: Artifact): string {
  const headers = Object.entries(a.headers ?? {}).map(([k, v]) => `${k}: ${v ?? ''}`);
  const argv: (string | typeof STAGED)[] =
    tool === 'curl'
      ? [
          ...['curl', '-fsSL', '--proto', '=http,https', ...(a.insecure ? ['-k'] : [])],
          ...headers.flatMap((h) => ['-H', h]),
          ...(['-o', STAGED, '--', url] as const),
        ]
      : [
          ...['wget', '-q', ...(a.insecure ? ['--no-check-certificate'] : [])],
          ...headers.map((h) => `--header=${h}`),
          ...(['-O', STAGED, '--', url] as const),
        ];
  const words = argv.map((w) => (typeof w === 'symbol' ? '"$f"' : shQuote(w)));
  return `${words.join(' ')} || { echo "download failed (${tool} exit $?)" >&2; exit 1; }`;
}

/** drover's own download, for hosts without curl or wget. */
async function downloadHere(url: string, a: Artifact): Promise<Buffer> {
  if (a.insecure && url.startsWith('https:'))
    throw new Error(
      'insecure = true is not built for artifacts drover downloads itself (the host has no curl or wget)',
    );
  const headers = Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k, v ?? '']));
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`download failed: ${cause?.message ?? (err as Error).message}`, {
      cause: err,
    });
  }
  if (!res.ok) throw new Error(`download failed: HTTP ${res.status} ${res.statusText}`.trim());
  return Buffer.from(await res.arrayBuffer());
}

function verify(expected: Checksum, got: string): void {
  if (got !== expected.hex)
    throw new Error(
      `checksum mismatch: expected ${formatChecksum(expected)}, got ${expected.type}:${got}`,
    );
}

/** The same check as `verify`, on the host, with the same words. */
function checkOnHost(c: Checksum, local: boolean): string {
  return [
    local
      ? '[ -d "$src" ] && { echo "a checksum cannot be verified for a directory" >&2; exit 1; }'
      : '',
    `got=$(${c.type}sum <"$f" | cut -d ' ' -f 1) || exit 1`,
    `[ "$got" = ${shQuote(c.hex)} ] || { echo "checksum mismatch: expected ${formatChecksum(c)}, got ${c.type}:$got" >&2; exit 1; }`,
  ]
    .filter(Boolean)
    .join('\n');
}

const TAR_FLAGS: Record<string, string> = { tar: '', 'tar.gz': 'z', 'tar.bz2': 'j', 'tar.xz': 'J' };

/** Puts the staged download (or the local directory `$src`) where the artifact goes. */
function place(plan: ArtifactPlan): string {
  const localDir =
    plan.source.kind === 'file'
      ? 'if [ -d "$src" ]; then mkdir -p "$dest" && cp -R -- "$src/." "$dest/"; exit $?; fi\n'
      : '';
  if (plan.mode === 'file')
    return `${localDir}mkdir -p "$(dirname "$dest")" && mv -f -- "$f" "$dest"`;
  if (plan.archive === 'zip') return `${localDir}mkdir -p "$dest" && unzip -oq "$f" -d "$dest"`;
  if (plan.archive)
    return `${localDir}mkdir -p "$dest" && tar -x${TAR_FLAGS[plan.archive]}f "$f" -C "$dest"`;
  if (plan.mode === 'dir')
    return `${localDir}echo 'mode = "dir" needs an archive or a directory; this source is a plain file' >&2; exit 1`;
  return `${localDir}mkdir -p "$dest" && mv -f -- "$f" "$dest/"${shQuote(plan.fileName)}`;
}

const probes = new WeakMap<Shell, Promise<Set<string>>>();

/** The artifact programs a host has, probed once per connection. */
function hostTools(shell: Shell): Promise<Set<string>> {
  let probe = probes.get(shell);
  if (!probe) {
    probe = shell
      .sh(
        `for t in ${TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; true`,
      )
      .then((r) => new Set(r.stdout.split('\n').filter(Boolean)));
    probes.set(shell, probe);
    probe.catch(() => probes.delete(shell));
  }
  return probe;
}
