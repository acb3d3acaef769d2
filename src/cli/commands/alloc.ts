/** Commands about one allocation: its status, and reaching into it (logs, exec). */
import { jobKey } from '../../state/job-key.js';
import { selectedNamespace, type NamespaceFlag } from '../namespace.js';
import type { Command } from 'commander';
import { redactState } from '../../plan/redact.js';
import type { Output } from '../output.js';
import type { Session } from '../session.js';
import { withSession } from '../with-session.js';
import { observe } from '../../ops/index.js';
import { allocTask, taskLogs } from '../../ops/alloc-task.js';
import { printAllocStatus } from './alloc-status.js';
import { addStateOptions, type PlanOptions } from './plan.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { remoteAllocStatus, remoteLogs } from '../remote/alloc.js';
import { allocById, findAlloc } from '../alloc-lookup.js';

interface AllocOptions extends NamespaceFlag {
  config?: string;
  task?: string;
  stderr?: boolean;
  f?: boolean;
  tail?: string;
}

export function registerAllocCommands(program: Command, io: (json: boolean) => Output): void {
  const alloc = program.command('alloc').description('look at one allocation');
  addStateOptions(
    alloc
      .command('status')
      .description(
        'an allocation (id or unique prefix): statuses, tasks and their events, reschedule history',
      )
      .argument('<alloc>'),
  )
    .option('--json', 'print machine-readable JSON')
    .action(async (target: string, opts: PlanOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote) return runRemote(o, remote, (api) => remoteAllocStatus(api, o, target, cmd));
      await withSession(o, opts, async (session) => {
        // Refreshed, so a task that died since the last apply shows as it is.
        const state = redactState((await observe(session, opts.refresh !== 'false')).state);
        printAllocStatus(o, state, allocById(state, target));
        process.exitCode = 0;
      });
    });

  program
    .command('logs')
    .description(
      "print a task's logs (an allocation id or prefix, or a job: its newest allocation, whatever its status)",
    )
    .argument('<alloc-or-job>')
    .option('--task <name>', 'the task (default: the first main task)')
    .option('--stderr', 'standard error instead of standard output')
    .option('-f', 'follow: keep printing new lines')
    .option('--tail <lines>', 'only the last lines')
    .option('--config <file>', 'the drover.hcl to use')
    .action(async (target: string, opts: AllocOptions, cmd: Command) => {
      // Ctrl-C or a kill ends the stream, and with it the command on the host.
      const abort = new AbortController();
      const stop = () => abort.abort();
      for (const sig of STOP_SIGNALS) process.once(sig, stop);
      try {
        const o = io(false);
        const remote = remoteTarget(cmd);
        if (remote)
          return await runRemote(o, remote, (api) =>
            remoteLogs(api, o, target, opts, cmd, abort.signal),
          );
        await withSession(o, opts, async (session) => {
          const at = await allocTaskOf(session, target, opts.task, {
            anyStatus: true,
            namespace: selectedNamespace(opts),
          });
          const { taskName, alloc } = at;
          // Given a job, say which of its allocations this is (stdout stays the log).
          if (alloc.job === jobKey(selectedNamespace(opts), target))
            o.err(
              `==> ${alloc.name} ${alloc.id.slice(0, 8)} on ${alloc.node} (${alloc.client_status}), task "${taskName}"`,
            );
          const stream = taskLogs(session, at, {
            stderr: Boolean(opts.stderr),
            follow: Boolean(opts.f),
            ...(opts.tail !== undefined ? { tail: Number(opts.tail) } : {}),
            signal: abort.signal,
          });
          await new Promise<void>((resolve, reject) => {
            stream.on('data', (chunk: Buffer) => process.stdout.write(chunk));
            stream.on('end', resolve);
            stream.on('close', resolve);
            stream.on('error', (e) => (abort.signal.aborted ? resolve() : reject(e)));
          });
          process.exitCode = 0;
        });
      } finally {
        for (const sig of STOP_SIGNALS) process.off(sig, stop);
      }
    });

  program
    .command('exec')
    .description('run a command inside an allocation: drover exec ALLOC [-task T] -- CMD ARGS...')
    .argument('<alloc-or-job>')
    .argument('<command...>')
    .option('--task <name>', 'the task (default: the first main task)')
    .option('--config <file>', 'the drover.hcl to use')
    .action(async (target: string, argv: string[], opts: AllocOptions) => {
      await withSession(io(false), opts, async (session) => {
        const { handle, node, driver } = await allocTaskOf(session, target, opts.task, {
          namespace: selectedNamespace(opts),
        });
        process.exitCode = await driver.exec(handle, session.transport(node), argv, {
          ...(process.stdin.isTTY ? {} : { stdin: process.stdin }),
          stdout: process.stdout,
          stderr: process.stderr,
        });
      });
    });
}

/** The signals that end `logs -f`. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The task of an allocation, with its node and driver, from the recorded state. */
async function allocTaskOf(
  session: Session,
  target: string,
  task: string | undefined,
  opts: { anyStatus?: boolean; namespace?: string } = {},
) {
  const state = await session.store.read();
  return allocTask(session, state, findAlloc(state, target, opts), task);
}
