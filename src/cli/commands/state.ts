/** `drover state …`: look at and look after the recorded state. */
import type { Command } from 'commander';
import type { StateSnapshot } from '../../state/types.js';
import { printJson, type Output } from '../output.js';
import type { Session } from '../session.js';
import { UserError, withSession } from '../with-session.js';

interface StateOptions {
  config?: string;
  json?: boolean;
  force?: boolean;
}

export function registerStateCommands(program: Command, io: (json: boolean) => Output): void {
  const state = program
    .command('state')
    .description('list, show, unlock and snapshot the recorded state');
  const run =
    (fn: (o: Output, s: Session, opts: StateOptions, ...args: string[]) => Promise<void>) =>
    async (...args: unknown[]) => {
      const opts = args[args.length - 2] as StateOptions;
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        await fn(o, session, opts, ...(args.slice(0, -2) as string[]));
        process.exitCode ??= 0;
      });
    };
  const common = (c: Command) =>
    c
      .option('--config <file>', 'the drover.hcl to use')
      .option('--json', 'print machine-readable JSON');

  common(state.command('list').description('list the addresses of everything recorded')).action(
    run(async (o, s, _opts) => {
      const snap = await s.store.read();
      const addresses = addressesOf(snap);
      if (o.json) printJson(o, { addresses });
      else o.out(addresses.join('\n') || 'The state is empty.');
    }),
  );

  common(
    state
      .command('show')
      .description('show one recorded object (job.ID, alloc.ID, node.NAME) or the whole state')
      .argument('[address]'),
  ).action(
    run(async (o, s, _opts, address?: string) => {
      const snap = await s.store.read();
      if (!address) return printJson(o, snap);
      const [kind, ...rest] = address.split('.');
      const key = rest.join('.');
      const table =
        kind === 'job'
          ? snap.jobs
          : kind === 'alloc'
            ? snap.allocations
            : kind === 'node'
              ? snap.nodes
              : kind === 'deployment'
                ? snap.deployments
                : undefined;
      if (!table)
        throw new UserError(
          `"${address}" is not an address: use job.ID, alloc.ID, node.NAME or deployment.ID (see drover state list)`,
        );
      const hits = Object.keys(table).filter(
        (k) => k === key || (kind === 'alloc' && k.startsWith(key)),
      );
      if (hits.length !== 1)
        throw new UserError(
          hits.length
            ? `"${address}" matches ${hits.length} objects`
            : `nothing recorded at "${address}"`,
        );
      printJson(o, (table as Record<string, unknown>)[hits[0]!]);
    }),
  );

  common(
    state
      .command('unlock')
      .description('break a stale lock (give the lock id the error message names)')
      .argument('[lock-id]'),
  ).action(
    run(async (o, s, _opts, id?: string) => {
      const held = await s.store.currentLock();
      if (!held) return void o.out('The state is not locked.');
      if (id === undefined) {
        o.out(
          `The state is locked by ${held.owner}@${held.host} (pid ${held.pid}, ${held.operation}) since ${held.created_at}.\nTo break the lock: drover state unlock ${held.id}`,
        );
        process.exitCode = 1;
        return;
      }
      const broken = await s.store.forceUnlock(id);
      o.out(broken ? `Lock ${broken.id} broken.` : 'The state is not locked.');
    }),
  );

  const snapshot = state.command('snapshot').description('save or restore a copy of the state');
  common(
    snapshot.command('save').argument('<file>').description('write a copy of the state to a file'),
  ).action(
    run(async (o, s, _opts, file: string) => {
      await s.store.snapshotSave(file);
      if (!o.json) o.out(`Saved the state to ${file}.`);
    }),
  );
  common(
    snapshot
      .command('restore')
      .argument('<file>')
      .description('replace the state with a saved copy')
      .option('--force', 'restore even if the copy belongs to another state (another lineage)'),
  ).action(
    run(async (o, s, opts, file: string) => {
      const restored = await s.store.snapshotRestore(file, { force: Boolean(opts.force) });
      if (!o.json) o.out(`Restored the state from ${file} (serial ${restored.serial}).`);
    }),
  );
}

export function addressesOf(s: StateSnapshot): string[] {
  return [
    ...Object.keys(s.nodes).map((n) => `node.${n}`),
    ...Object.keys(s.jobs).map((j) => `job.${j}`),
    ...Object.values(s.allocations).map((a) => `alloc.${a.id} (${a.name}, ${a.client_status})`),
    ...Object.keys(s.deployments).map((d) => `deployment.${d}`),
  ];
}
