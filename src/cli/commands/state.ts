/** `drover state …`: look at and look after the recorded state. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { StateSettings } from '../../config/types.js';
import { Diagnostics } from '../../diag/diagnostic.js';
import { createStateStore, stderrWarning } from '../state-store.js';
import { migrateState } from '../../state/migrate.js';
import { redactState } from '../../plan/redact.js';
import type { StateSnapshot } from '../../state/types.js';
import { showableVariables } from '../../state/variables.js';
import { printJson, type Output } from '../output.js';
import type { Session } from '../session.js';
import { UserError, withSession } from '../with-session.js';
import { auditRecordNow } from '../audit-trail.js';
import { recordAudit } from '../../ops/audit.js';
import { withStateLock } from '../../ops/index.js';
import { LOCK_TIMEOUT_OPTION, lockTimeoutMs } from '../common.js';

interface StateOptions {
  config?: string;
  json?: boolean;
  force?: boolean;
  to?: string;
  toUrl?: string;
  toPath?: string;
  toSchema?: string;
  toConfig?: string;
  lockTimeout?: string;
  showSensitive?: boolean;
}

export function registerStateCommands(program: Command, io: (json: boolean) => Output): void {
  const state = program
    .command('state')
    .description('list, show, unlock, migrate and snapshot the recorded state');
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
      .argument('[address]')
      .option('--show-sensitive', 'show sensitive values instead of (sensitive)'),
  ).action(
    run(async (o, s, opts, address?: string) => {
      // Values derived from sensitive variables read (sensitive) unless asked for (Terraform's
      // `show -show-sensitive`); `state snapshot save` copies the state as it is.
      const stored = await s.store.read();
      const shown = opts.showSensitive ? stored : redactState(stored);
      // Variables show their metadata; their sealed items are never of use on screen.
      const snap = stored.variables ? { ...shown, variables: showableVariables(stored) } : shown;
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
                : kind === 'var'
                  ? (snap.variables ?? {})
                  : undefined;
      if (!table)
        throw new UserError(
          `"${address}" is not an address: use job.ID, alloc.ID, node.NAME, deployment.ID or var.PATH (see drover state list)`,
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
      const started = new Date();
      const broken = await s.store.forceUnlock(id);
      if (broken)
        await recordAudit(
          s.store,
          auditRecordNow('state unlock', started, 0, {
            detail: `broke lock ${broken.id} of ${broken.operation} by ${broken.owner}@${broken.host} (pid ${broken.pid}) since ${broken.created_at}`,
          }),
        );
      o.out(broken ? `Lock ${broken.id} broken.` : 'The state is not locked.');
    }),
  );

  common(
    state
      .command('migrate')
      .description('copy the whole state (history and events too) to another backend')
      .option('--to <backend>', 'the backend to copy to: postgres or local')
      .option(
        '--to-url <url>',
        'postgres: postgres://USER@HOST:PORT/DATABASE (default: the PG* variables)',
      )
      .option('--to-schema <name>', 'postgres: the schema (default: drover)')
      .option('--to-path <file>', 'local: the state file (default: the path in drover.hcl)')
      .option('--to-config <file>', 'another drover.hcl whose state block is the destination')
      .option('--force', 'replace a destination that holds another state')
      .option('--lock-timeout <duration>', 'how long to wait for each state lock (e.g. 30s)', '0s'),
  ).action(
    run(async (o, s, opts) => {
      const started = new Date();
      const to = createStateStore(destination(s.config.state, opts), { warn: stderrWarning });
      try {
        const r = await migrateState(s.store, to, {
          force: Boolean(opts.force),
          lockTimeoutMs: lockTimeoutMs(opts),
          audit: auditRecordNow('state migrate', started, 0, {
            detail: `migrated from ${s.store.describe()} to ${to.describe()}`,
          }),
        });
        const counts = {
          jobs: Object.keys(r.state.jobs).length,
          allocations: Object.keys(r.state.allocations).length,
          deployments: Object.keys(r.state.deployments).length,
          events: r.state.events.length,
        };
        if (o.json)
          return printJson(o, {
            from: r.from,
            to: r.to,
            lineage: r.state.lineage,
            serial: r.state.serial,
            ...counts,
          });
        o.out(
          `Migrated the state (lineage ${r.state.lineage}, serial ${r.state.serial}: ${counts.jobs} jobs, ` +
            `${counts.allocations} allocations, ${counts.deployments} deployments, ${counts.events} events)\n` +
            `  from ${r.from}\n  to   ${r.to}\n` +
            'Point the state block of drover.hcl at the new backend to use it.',
        );
      } finally {
        await to.close();
      }
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
      .description(
        'replace the state with a saved copy; the audit trail is kept, with a record of the restore',
      )
      .option('--force', 'restore even if the copy belongs to another state (another lineage)')
      .option(...LOCK_TIMEOUT_OPTION),
  ).action(
    run(async (o, s, opts, file: string) => {
      const started = new Date();
      const restored = await withStateLock(s, 'state restore', lockTimeoutMs(opts), () =>
        s.store.snapshotRestore(file, {
          force: Boolean(opts.force),
          audit: auditRecordNow('state restore', started, 0, {
            detail: `restored from snapshot ${file}`,
          }),
        }),
      );
      if (!o.json) o.out(`Restored the state from ${file} (serial ${restored.serial}).`);
    }),
  );
}

/**
 * Where `state migrate` copies to: another drover.hcl's state block (`-to-config`), or the
 * backend named by `-to` with its settings from the flags, else from this drover.hcl.
 */
function destination(current: StateSettings, opts: StateOptions): StateSettings {
  if (opts.toConfig !== undefined) {
    const diags = new Diagnostics();
    const other = loadConfig(opts.toConfig, diags);
    if (!other)
      throw new UserError(
        `${opts.toConfig}: ${diags.items.map((d) => d.summary + (d.detail ? `: ${d.detail}` : '')).join('; ')}`,
      );
    if (opts.to !== undefined && other.state.backend !== opts.to)
      throw new UserError(
        `${opts.toConfig} uses the ${other.state.backend} backend, not ${opts.to}`,
      );
    return other.state;
  }
  if (opts.to === 'local') {
    return {
      ...current,
      backend: 'local',
      ...(opts.toPath !== undefined ? { path: opts.toPath } : {}),
    };
  }
  if (opts.to === 'postgres') {
    if (opts.toUrl !== undefined && new URL(opts.toUrl).password !== '')
      throw new UserError(
        'the -to-url holds a password, which would be seen in the process list and shell history: ' +
          'give it through PGPASSWORD or ~/.pgpass instead',
      );
    const url = opts.toUrl ?? current.url;
    return {
      ...current,
      backend: 'postgres',
      ...(url !== undefined ? { url } : {}),
      ...(opts.toSchema !== undefined ? { schema: opts.toSchema } : {}),
    };
  }
  throw new UserError(
    opts.to === undefined
      ? 'say where to migrate to: -to postgres (with -to-url, or the PG* variables) or -to local (with -to-path), or -to-config FILE'
      : `-to must be postgres or local, not "${opts.to}"`,
  );
}

export function addressesOf(s: StateSnapshot): string[] {
  return [
    ...Object.keys(s.nodes).map((n) => `node.${n}`),
    ...Object.keys(s.jobs).map((j) => `job.${j}`),
    ...Object.values(s.allocations).map((a) => `alloc.${a.id} (${a.name}, ${a.client_status})`),
    ...Object.keys(s.deployments).map((d) => `deployment.${d}`),
    ...Object.keys(s.variables ?? {}).map((p) => `var.${p}`),
  ];
}
