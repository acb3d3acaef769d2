/** A real session (drover.hcl, local state) in a temp dir, and a ServerContext over it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession, type Session } from '../../../src/cli/session.js';
import { serverSettings } from '../../../src/config/server-settings.js';
import { currentHost } from '../../../src/config/defaults.js';
import { Diagnostics } from '../../../src/diag/diagnostic.js';
import { localChangeFeed } from '../../../src/server/changes.js';
import { createServerContext, indexOf, type RunningContext } from '../../../src/server/context.js';
import type { IndexedState, Leadership, Metrics, ServerLog } from '../../../src/server/types.js';
import type { StateSnapshot } from '../../../src/state/types.js';
import { emptyEventHub } from '../../../src/server/run.js';

export interface Recorded {
  metrics: { name: string; labels?: Record<string, string> }[];
  log: { level: string; message: string; fields?: Record<string, unknown> }[];
}

export interface TestServerContext {
  dir: string;
  session: Session;
  context: RunningContext;
  recorded: Recorded;
  /** Moves the state's index the way a CLI beside the server would: one write; the new index. */
  bump(): Promise<number>;
  close(): Promise<void>;
}

export async function testServerContext(
  opts: {
    leadership?: () => Leadership;
    feed?: boolean;
    onChange?: (prev: StateSnapshot | undefined, next: IndexedState) => void;
  } = {},
): Promise<TestServerContext> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-server-core-'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
  );
  const diags = new Diagnostics();
  const session = await openSession(join(dir, 'drover.hcl'), diags);
  if (!session) throw new Error(diags.items.map((d) => d.summary).join('; '));
  const recorded: Recorded = { metrics: [], log: [] };
  const metrics: Metrics = {
    increment: (name, labels) =>
      void recorded.metrics.push({ name, ...(labels ? { labels } : {}) }),
    gauge: () => undefined,
    sample: () => undefined,
  };
  const entry = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void recorded.log.push({ level, message, ...(fields ? { fields } : {}) });
  const log: ServerLog = { info: entry('info'), warn: entry('warn'), error: entry('error') };
  const context = createServerContext({
    settings: { ...serverSettings(undefined, dir, currentHost()), port: 0 },
    engine: session,
    events: emptyEventHub,
    metrics,
    log,
    ...(opts.leadership ? { leadership: opts.leadership } : {}),
    ...(opts.feed === false ? {} : { changes: localChangeFeed(session.config.state.path) }),
    ...(opts.onChange ? { onChange: opts.onChange } : {}),
  });
  return {
    dir,
    session,
    context,
    recorded,
    async bump() {
      const s = await session.store.read();
      return indexOf(await session.store.write(s, s.serial));
    },
    async close() {
      await context.close();
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `server` on a free loopback port: its base URL, and how to close it and its sockets. */
export async function listenOnLoopback(
  server: import('node:http').Server,
): Promise<{ base: string; close: () => Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
