/**
 * A node's fingerprint read through any transport: the host facts from `fingerprintScript` and
 * the shell-script detections of the drivers that have one (raw_exec, exec, java) in one `sh`
 * round trip, the other drivers' `detect` (the Docker API …) beside it on the same transport,
 * folded together (a driver's attributes all under `driver.<name>`).
 */
import type { DriverFingerprint, NodeFingerprint } from '../../src/state/types.js';
import type { Detection, Driver, RunResult, Shell, ShellDetection, Transport } from '../types.js';
import type { NodeSpec } from '../../src/config/node-spec.js';
import { fingerprintScript, hostFacts, splitSections } from './fingerprint.js';

const FINGERPRINT_TIMEOUT_MS = 30_000;

export async function fingerprintThrough(
  transport: Transport & { readonly shell: Shell },
  drivers: readonly Driver[],
  now: Date,
): Promise<NodeFingerprint> {
  const scripted = drivers.flatMap((d) => {
    const detection = d.shellDetection?.();
    return detection ? [{ name: d.name, detection }] : [];
  });
  const others = drivers.filter((d) => !d.shellDetection);
  const timeoutMs = Math.max(FINGERPRINT_TIMEOUT_MS, ...scripted.map((s) => s.detection.timeoutMs));
  const [r, detected] = await Promise.all([
    transport.shell.sh(
      [
        fingerprintScript(transport.node.alloc_root),
        allocRootScript(allocRootCandidates(transport.node)),
        detectionsScript(scripted),
      ].join('\n'),
      { timeoutMs },
    ),
    detectDrivers(transport, others),
  ]);
  const results = splitDetections(r.stdout);
  const found: Record<string, DriverFingerprint> = { ...detected.drivers };
  const attributes: Record<string, string> = { ...detected.attributes };
  for (const { name, detection } of scripted) {
    const result = results.get(name) ?? {
      code: r.code === 0 ? 255 : r.code,
      stdout: '',
      stderr: r.stderr,
    };
    fold(
      name,
      attempt(() => detection.read(result)),
      found,
      attributes,
    );
  }
  const root = readAllocRoot(r.stdout);
  if (root.chosen !== undefined) {
    attributes[ALLOC_ROOT_ATTRIBUTE] = root.chosen;
  } else {
    // Process drivers need a directory of their own on the host; docker tasks do not.
    const description = noAllocRootReason(transport.node, root);
    for (const { name } of scripted) {
      for (const key of Object.keys(attributes))
        if (key === `driver.${name}` || key.startsWith(`driver.${name}.`)) delete attributes[key];
      found[name] = { detected: false, healthy: false, description };
    }
  }
  const facts = hostFacts(splitSections(r.stdout));
  return {
    fingerprinted_at: now.toISOString(),
    attributes: sortKeys({ ...facts.attributes, ...attributes }),
    resources: facts.resources,
    drivers: sortKeys(found),
  };
}

/**
 * Each driver's `detect` through the transport: the attributes of the drivers found, and every
 * driver's fingerprint. A driver whose detection throws is not detected, with the reason.
 */
export async function detectDrivers(
  transport: Transport,
  drivers: readonly Driver[],
): Promise<{ attributes: Record<string, string>; drivers: Record<string, DriverFingerprint> }> {
  const attributes: Record<string, string> = {};
  const found: Record<string, DriverFingerprint> = {};
  const detections = await Promise.allSettled(drivers.map((driver) => driver.detect(transport)));
  drivers.forEach((driver, i) => fold(driver.name, detections[i]!, found, attributes));
  return { attributes, drivers: sortKeys(found) };
}

/** Records one driver's detection (or why it failed) in `found` and, if detected, `attributes`. */
function fold(
  name: string,
  outcome: PromiseSettledResult<Detection>,
  found: Record<string, DriverFingerprint>,
  attributes: Record<string, string>,
): void {
  if (outcome.status === 'rejected') {
    const e: unknown = outcome.reason;
    found[name] = {
      detected: false,
      healthy: false,
      description: e instanceof Error ? e.message : String(e),
    };
    return;
  }
  const d = outcome.value;
  const attrs = driverAttributes(name, d.attributes);
  found[name] = { detected: d.detected, healthy: d.healthy, attributes: attrs };
  if (d.detected) Object.assign(attributes, attrs);
}

/** `f()`'s value or what it threw, as `Promise.allSettled` reports a promise. */
function attempt<T>(f: () => T): PromiseSettledResult<T> {
  try {
    return { status: 'fulfilled', value: f() };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

// The markers start like fingerprintScript's, whose reader skips sections it does not know.
const DETECT = '@@drover-fingerprint:detect:';
const DETECT_EXIT = '@@drover-fingerprint:detect-exit:';

/**
 * The drivers' detection scripts one after another, each in a subshell with no input, its output
 * after a `DETECT<name>` line and its exit status on a line of its own after it.
 */
export function detectionsScript(
  scripted: readonly { name: string; detection: ShellDetection }[],
): string {
  return scripted
    .map(
      ({ name, detection }) =>
        `echo '${DETECT}${name}'\n(\n${detection.script}\n) </dev/null 2>/dev/null\n` +
        `printf '\\n${DETECT_EXIT}%s\\n' "$?"`,
    )
    .join('\n');
}

/** Each detection's standard output and exit status, by driver name. */
export function splitDetections(output: string): Map<string, RunResult> {
  const out = new Map<string, RunResult>();
  let at = output.indexOf(DETECT);
  while (at >= 0) {
    const nameEnd = output.indexOf('\n', at);
    if (nameEnd < 0) break;
    const name = output.slice(at + DETECT.length, nameEnd);
    const exitAt = output.indexOf(`\n${DETECT_EXIT}`, nameEnd);
    if (exitAt < 0) break;
    const codeEnd = output.indexOf('\n', exitAt + 1);
    const code = Number(
      output.slice(exitAt + 1 + DETECT_EXIT.length, codeEnd < 0 ? undefined : codeEnd),
    );
    out.set(name, {
      code: Number.isInteger(code) ? code : 255,
      stdout: output.slice(nameEnd + 1, exitAt),
      stderr: '',
    });
    at = output.indexOf(DETECT, exitAt + 1 + DETECT_EXIT.length);
  }
  return out;
}

/** A driver's attributes, every key under `driver.<name>`. */
function driverAttributes(name: string, attrs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    const inside = key === `driver.${name}` || key.startsWith(`driver.${name}.`);
    out[inside ? key : `driver.${name}.${key}`] = value;
  }
  return out;
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

// ---------------------------------------------------------------------------------------------
// The allocation root

/** The attribute that records the allocation root the fingerprint chose on the host. */
export const ALLOC_ROOT_ATTRIBUTE = 'unique.drover.alloc_root';

/** How the reason a node has no allocation root begins (the plan's warning looks for it). */
export const NO_ALLOC_ROOT = 'no writable allocation directory';

/** Where process tasks may live on the node, in order: alloc_root, then its fallback. */
export function allocRootCandidates(node: NodeSpec): string[] {
  return [node.alloc_root, ...(node.alloc_root_fallback ? [node.alloc_root_fallback] : [])];
}

const ROOT = '@@drover-allocroot:';

/**
 * Tries each candidate in turn (`~/` is the user's home on the host): created if missing, then
 * proven writable by making and removing a directory in it. Prints the user, each refusal with
 * the host's words, and the first that works.
 */
export function allocRootScript(candidates: readonly string[]): string {
  const words = candidates.map((c) => `'${c.replace(/'/g, `'\\''`)}'`).join(' ');
  return [
    `echo '${ROOT}user='"$(id -un 2>/dev/null)"`,
    `for r in ${words}; do`,
    `  case $r in '~/'*) r="$HOME/\${r#'~/'}" ;; esac`,
    '  t="$r/.drover-write-test.$$"',
    `  if err=$(mkdir -p "$r" 2>&1 && mkdir "$t" 2>&1 && rmdir "$t" 2>&1); then echo '${ROOT}chosen='"$r"; break; fi`,
    `  echo '${ROOT}refused='"$r: $(printf %s "$err" | tr '\\n' ' ')"`,
    'done',
  ].join('\n');
}

export interface AllocRootProbe {
  user?: string;
  chosen?: string;
  /** `path: why` for each candidate that did not work. */
  refused: string[];
}

export function readAllocRoot(output: string): AllocRootProbe {
  const probe: AllocRootProbe = { refused: [] };
  for (const line of output.split('\n')) {
    if (!line.startsWith(ROOT)) continue;
    const [key, ...rest] = line.slice(ROOT.length).split('=');
    const value = rest.join('=');
    if (key === 'user' && value) probe.user = value;
    else if (key === 'chosen') probe.chosen = value;
    else if (key === 'refused') probe.refused.push(value.trim());
  }
  return probe;
}

/** Why process drivers cannot run on the node, and how to fix it. */
export function noAllocRootReason(node: NodeSpec, probe: AllocRootProbe): string {
  const user = probe.user ?? node.user ?? 'the SSH user';
  const tried = probe.refused.length ? ` (${probe.refused.join('; ')})` : '';
  const fix = node.alloc_root_fallback
    ? `set alloc_root in drover.hcl to a directory ${user} can write, or create ${node.alloc_root} owned by ${user}`
    : `set alloc_root of node "${node.name}" in drover.hcl to a directory ${user} can write, or make ${node.alloc_root} writable by ${user}`;
  return `${NO_ALLOC_ROOT} for user ${user}${tried}: ${fix}`;
}
