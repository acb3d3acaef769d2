/**
 * `drover server`: runs Nomad's HTTP API (and, on the leader, the controller) on drover.hcl's
 * state until SIGTERM or SIGINT. One line on stdout once listening (`drover server listening on
 * http://HOST:PORT`), which scripts and tests wait for; the log goes to stderr.
 */
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { withSession, UserError } from '../with-session.js';
import { currentHost } from '../../config/defaults.js';
import { serverSettings } from '../../config/server-settings.js';
import { createServerLog } from '../../server/log.js';
import { startServer } from '../../server/run.js';
import { startController } from '../../server/controller/index.js';
import { createEventHub } from '../../server/events/index.js';
import { createMetrics } from '../../server/metrics/index.js';
import type { ServerSettings } from '../../server/types.js';

interface ServerOptions {
  config?: string;
  bind?: string;
  port?: string;
  name?: string;
  logJson?: boolean;
}

export function registerServer(program: Command, io: (json: boolean) => Output): void {
  program
    .command('server')
    .description(
      "run Nomad's HTTP API and the reconcile loop on the configured state until stopped",
    )
    .option('--config <file>', 'drover.hcl to read (default ./drover.hcl)')
    .option('--bind <addr>', 'address to listen on (default: server.address, else 127.0.0.1)')
    .option('--port <n>', 'port to listen on (default: server.port, else 4646; 0 picks one)')
    .option('--name <name>', "this server's name (default: server.name, else the host name)")
    .option('--log-json', 'log JSON lines instead of text')
    .action((opts: ServerOptions) => runServerCommand(io(false), opts));
}

/** drover.hcl's server block (or every default) with the flags on top. */
export function withFlags(base: ServerSettings, opts: ServerOptions): ServerSettings {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new UserError(`-port must be a whole number from 0 to 65535, not "${opts.port}"`);
  return {
    ...base,
    ...(opts.bind !== undefined ? { address: opts.bind } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.logJson ? { logJson: true } : {}),
  };
}

async function runServerCommand(o: Output, opts: ServerOptions): Promise<void> {
  await withSession(o, opts, async (session) => {
    const base =
      session.config.server ?? serverSettings(undefined, currentHost().cwd, currentHost());
    const settings = withFlags(base, opts);
    const log = createServerLog({ json: settings.logJson });
    const events = createEventHub({
      onListenerError: (err) => log.error(`an event stream failed: ${String(err)}`),
      nodeFacts: {
        nodes: session.nodes,
        droverVersion: session.droverVersion,
        datacenter: settings.datacenter,
      },
    });
    const server = await startServer({
      settings,
      engine: session,
      log,
      events,
      metrics: createMetrics(),
      startController,
    });
    o.out(`drover server listening on ${server.url}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log.info(`${signal}: stopping`, { signal });
    await server.stop();
    log.info('stopped');
  });
}
