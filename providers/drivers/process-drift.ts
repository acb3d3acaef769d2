/**
 * Drift of a process task (raw_exec, exec, java): the command line and environment the driver's
 * start gives it, beside those of its main process on the host (`/proc/<pid>/cmdline` and
 * `environ`, found as a stop finds the task's processes). Only the variables drover sets are
 * compared: a process inherits the rest from the session that started it.
 */
import { posix } from 'node:path';
import type { FoundTask, TaskContext, TaskObservation } from '../types.js';
import type { ProcessTaskHandle } from './process-common.js';
import { buildDriftScript, parseKeyValues, shellOf, taskLayout } from './process-common.js';

export async function inspectProcessDrift(
  handle: ProcessTaskHandle,
  ctx: TaskContext,
  argv: readonly string[],
): Promise<TaskObservation> {
  const r = await shellOf(ctx.transport, handle.driver).sh(
    buildDriftScript(taskLayout(handle.alloc_dir, handle.task)),
    { timeoutMs: 30_000 },
  );
  if (r.code !== 0)
    throw new Error(`cannot look at task "${handle.task}": ${r.stderr.trim() || `exit ${r.code}`}`);
  // No id: the supervisor restarts a task under a new pid as its restart policy says.
  const applied = { command: [...argv], env: { ...ctx.env } };
  const kv = parseKeyValues(r.stdout);
  const found = foundProcess(kv, argv);
  if (found) return { kind: 'process', applied, found };
  return kv.get('drift.supervised') === 'yes'
    ? { kind: 'process', applied, restarting: true }
    : { kind: 'process', applied };
}

/** The process a drift script's output describes; undefined when it found none. */
export function foundProcess(
  kv: ReadonlyMap<string, string>,
  argv: readonly string[],
): FoundTask | undefined {
  const pid = kv.get('drift.pid') ?? '';
  if (pid === '') return undefined;
  const command = nulList(kv.get('drift.cmdline') ?? '');
  const env: Record<string, string> = {};
  for (const line of nulList(kv.get('drift.environ') ?? '')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return {
    id: pid,
    running: true,
    state: 'running',
    command: samePath(command, argv),
    env,
  };
}

/** NUL-separated strings, from `od -tx1` hex. */
export function nulList(hex: string): string[] {
  const text = Buffer.from(hex.replace(/[^0-9a-f]/gi, ''), 'hex').toString('utf8');
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * A program the task names without a directory runs as found on PATH (exec resolves it to a
 * full path): `/usr/bin/sleep` is the `sleep` applied.
 */
function samePath(found: string[], applied: readonly string[]): string[] {
  const [first, ...rest] = found;
  const want = applied[0];
  if (first === undefined || want === undefined || want.includes('/')) return found;
  return posix.basename(first) === want ? [want, ...rest] : found;
}
