/**
 * A real server context for the controller's tests: drover.hcl in a temp dir, the CLI's engine
 * (real state store, drivers and transports) and `createServerContext` over it, with an event
 * hub, metrics and a log that keep what they are given. Jobs are applied with the built CLI, as
 * a user would; the controller then acts on its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSession, type Session } from '../../../src/cli/session.js';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { createServerContext } from '../../../src/server/context.js';
import type { ServerContext, ServerSettings } from '../../../src/server/types.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { testServerSettings } from '../settings.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface Harness {
  ctx: ServerContext;
  session: Session;
  lines: LogLine[];
  state(): Promise<StateSnapshot>;
  close(): Promise<void>;
}

export function testSettings(over: Partial<ServerSettings> = {}): ServerSettings {
  return testServerSettings({
    reconcileIntervalMs: 1_000,
    nodeCheckIntervalMs: 500,
    nodeGraceMs: 3_000,
    ...over,
  });
}

export async function serverHarness(
  dir: string,
  over: Partial<ServerSettings> = {},
): Promise<Harness> {
  const diags = new Diagnostics();
  const session = await openSession(join(dir, 'drover.hcl'), diags);
  if (!session) throw new Error(diags.items.map((d) => d.summary).join('; '));
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string) => void lines.push({ level, message });
  const ctx = createServerContext({
    settings: testSettings(over),
    engine: session,
    events: { since: () => [], subscribe: () => () => undefined },
    metrics: { increment() {}, gauge() {}, sample() {} },
    log: { info: at('info'), warn: at('warn'), error: at('error') },
  });
  return {
    ctx,
    session,
    lines,
    state: () => session.store.read(),
    close: () => session.close(),
  };
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pid the supervisor of `task` records for its current run (`status` file), if any. */
export function taskPid(allocRoot: string, allocId: string, task: string): number | undefined {
  const found = findFile(join(allocRoot, allocId, task), 'status');
  if (!found) return undefined;
  const m = /^pid=(\d+)$/m.exec(readFileSync(found, 'utf8'));
  const state = /^state=(\w+)$/m.exec(readFileSync(found, 'utf8'))?.[1];
  return m && state === 'running' ? Number(m[1]) : undefined;
}

function findFile(dir: string, name: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (e === name && statSync(p).isFile()) return p;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    }
  }
  return undefined;
}

/** Live allocations of a job in state. */
export function liveAllocs(state: StateSnapshot, job: string) {
  return Object.values(state.allocations).filter(
    (a) => a.job === job && a.desired_status === 'run' && a.client_status === 'running',
  );
}
