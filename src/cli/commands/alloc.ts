/** Commands that reach into a running allocation: logs and exec. */
import type { Command } from 'commander';
import { recordedTasks } from '../../deploy/alloc-tasks.js';
import { hookOf } from '../../deploy/lifecycle.js';
import type { Allocation, StateSnapshot } from '../../state/types.js';
import type { Output } from '../output.js';
import type { Session } from '../session.js';
import { UserError, withSession } from '../with-session.js';

interface AllocOptions {
  config?: string;
  task?: string;
  stderr?: boolean;
  f?: boolean;
  tail?: string;
}

export function registerAllocCommands(program: Command, io: (json: boolean) => Output): void {
  program
    .command('logs')
    .description(
      "print a task's logs (an allocation id or prefix, or a job: its newest running allocation)",
    )
    .argument('<alloc-or-job>')
    .option('--task <name>', 'the task (default: the first main task)')
    .option('--stderr', 'standard error instead of standard output')
    .option('-f', 'follow: keep printing new lines')
    .option('--tail <lines>', 'only the last lines')
    .option('--config <file>', 'the drover.hcl to use')
    .action(async (target: string, opts: AllocOptions) => {
      // Ctrl-C or a kill ends the stream, and with it the command on the host.
      const abort = new AbortController();
      const stop = () => abort.abort();
      for (const sig of STOP_SIGNALS) process.once(sig, stop);
      try {
        await withSession(io(false), opts, async (session) => {
          const { handle, node, driver } = await allocTask(session, target, opts.task);
          const stream = driver.logs(handle, session.transport(node), {
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
        const { handle, node, driver } = await allocTask(session, target, opts.task);
        process.exitCode = await driver.exec(handle, session.transport(node), argv, {
          ...(process.stdin.isTTY ? {} : { stdin: process.stdin }),
          stdout: process.stdout,
          stderr: process.stderr,
        });
      });
    });
}

/** An allocation by id or unique id prefix, or a job's newest running allocation. */
export function findAlloc(state: StateSnapshot, target: string): Allocation {
  const all = Object.values(state.allocations);
  const byId = all.filter((a) => a.id.startsWith(target));
  if (byId.length === 1) return byId[0]!;
  if (byId.length > 1)
    throw new UserError(`"${target}" matches ${byId.length} allocations; give more of the id`);
  const ofJob = all
    .filter((a) => a.job === target && a.desired_status === 'run' && a.client_status === 'running')
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  if (ofJob[0]) return ofJob[0];
  throw new UserError(`no allocation or running job matches "${target}"`);
}

/** The signals that end `logs -f`. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The task of an allocation, with its node and driver, from the recorded state. */
async function allocTask(session: Session, target: string, task: string | undefined) {
  const state = await session.store.read();
  const alloc = findAlloc(state, target);
  // Without --task, the first main task: a prestart hook starts first but is seldom what is asked.
  const main = [...recordedTasks(state, alloc).values()].find(
    (t) => !hookOf(t) && alloc.driver_handles[t.name],
  );
  const { handle } = taskHandle(alloc, task ?? main?.name);
  const node = session.nodes.get(alloc.node);
  const driver = session.drivers.get(handle.driver);
  if (!node || !driver)
    throw new UserError(
      `allocation ${alloc.id.slice(0, 8)} is on node "${alloc.node}", which is not in the inventory`,
    );
  return { handle, node, driver };
}

function taskHandle(alloc: Allocation, task: string | undefined) {
  const names = Object.keys(alloc.driver_handles);
  const name = task ?? names[0];
  const handle = name === undefined ? undefined : alloc.driver_handles[name];
  if (!name || !handle)
    throw new UserError(
      task
        ? `allocation ${alloc.id.slice(0, 8)} has no task "${task}" (tasks: ${names.join(', ') || 'none'})`
        : `allocation ${alloc.id.slice(0, 8)} has no started task`,
    );
  return { handle, task: name };
}
