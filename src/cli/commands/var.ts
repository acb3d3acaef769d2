/**
 * `drover var put|get|list|purge` (and `var keyring`): Nomad Variables kept in drover's state,
 * their items sealed with a key kept outside it (state/variables-keyring.ts). Values are printed
 * by `var get` alone; every other output, the event log and errors name paths and indexes only.
 * Through a server (-address) put, get, list and purge use its /v1/var(s) and its keyring
 * (cli/remote/variables); `var keyring` is about a keyring here and does not go through one.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { removeVariable, writeVariable } from '../../ops/variables.js';
import type { VariableMeta } from '../../template/context.js';
import {
  checkVariable,
  listVariables,
  openVariable,
  variableMeta,
  variablesOf,
} from '../../state/variables.js';
import {
  KEY_ENV,
  keyringForWriting,
  keyringSource,
  rotateKeyring,
  type Keyring,
} from '../../state/variables-keyring.js';
import { keyWarning, sanitizePath } from '../../state/variables-rules.js';
import { printJson, type Output } from '../output.js';
import { keyringOptions, type Session } from '../session.js';
import { UserError, withSession } from '../with-session.js';
import { table } from './jobs.js';
import { readPutArgs, type SpecFormat } from './var-input.js';
import { LOCK_TIMEOUT_OPTION, lockTimeoutMs } from '../common.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import {
  remoteVarGet,
  remoteVarList,
  remoteVarPurge,
  remoteVarPut,
  type VariableWrite,
} from '../remote/variables.js';

interface VarOptions {
  config?: string;
  json?: boolean;
  out?: string;
  lockTimeout?: string;
}

export function registerVarCommands(program: Command, io: (json: boolean) => Output): void {
  const v = program
    .command('var')
    .description('Nomad Variables: put, get, list and purge secrets that templates read');
  const common = (c: Command) =>
    c
      .option('--config <file>', 'the drover.hcl to use')
      .option('--json', 'print machine-readable JSON (the same as -out json)');

  common(
    v
      .command('put')
      .description(
        'create or update a Variable: PATH KEY=VALUE… (VALUE may be @file, - for stdin, or empty to drop the item), or a specification (@file.json, @file.hcl, - with -in)',
      )
      .argument('<args...>', 'PATH | @SPEC | -, then KEY=VALUE items')
      .option('--force', 'write whatever the Variable is now (no check-and-set)')
      .option(
        '--check-index <n>',
        'write only if the Variable is at this modify index (0: only if new)',
      )
      .option(
        '--in <format>',
        'the format of a specification on stdin or without extension: json | hcl',
      )
      .option(
        '--out <format>',
        'none | json | table (metadata only; values are never printed)',
        'none',
      )
      .option(...LOCK_TIMEOUT_OPTION),
  ).action(
    async (
      args: string[],
      opts: VarOptions & { force?: boolean; checkIndex?: string; in?: string },
      cmd: Command,
    ) => {
      const o = io(wantsJson(opts));
      /** Reads the request, writes it with `send`, and says what was written. */
      const put = async (
        send: (req: VariableWrite) => Promise<{ meta: VariableMeta; created: boolean }>,
      ) => {
        const format = outFormat(opts, ['none', 'json', 'table']);
        const input = readPutArgs(args, inFormat(opts.in), {
          readFile: (f) => readFileSync(f, 'utf8'),
          readStdin: () => readFileSync(0, 'utf8'),
        });
        const path = sanitizePath(input.path);
        const checkIndex =
          opts.checkIndex !== undefined ? parseIndex(opts.checkIndex) : input.modifyIndex;
        for (const key of Object.keys(input.items)) {
          const w = keyWarning(key);
          if (w) o.err(`${o.errStyle.warning('warning')}: ${w}`);
        }
        // A request that cannot be written creates no keyring.
        checkVariable(path, input.items);
        const r = await send({
          path,
          items: input.items,
          ...(checkIndex !== undefined ? { checkIndex } : {}),
          force: Boolean(opts.force),
        });
        if (format === 'json') printJson(o, r.meta);
        else if (format === 'table') metaTable(o, r.meta);
        else
          o.out(
            `${r.created ? 'Created' : 'Updated'} variable "${r.meta.Path}" with modify index ${r.meta.ModifyIndex}`,
          );
        process.exitCode = 0;
      };
      const remote = remoteTarget(cmd);
      if (remote) return runRemote(o, remote, (api) => put((req) => remoteVarPut(api, req)));
      await withSession(o, opts, (session) =>
        put(async (req) => {
          const keyring = await keyringForWriting(keyringOptions(session.config), (file) =>
            o.err(
              `${o.errStyle.warning('note')}: created the Variables keyring ${file} (mode 0600). Back it up now: ` +
                `without it no Variable can be read again. Other machines that share this state need the same key ` +
                `(copy the file, or set ${KEY_ENV}); see the README, "Variables".`,
            ),
          );
          return writeVariable(session, keyring, { ...req, lockTimeoutMs: lockTimeoutMs(opts) });
        }),
      );
    },
  );

  common(
    v
      .command('get')
      .description('show a Variable with its items, or one item raw (-item)')
      .argument('<path>')
      .option('--item <key>', 'print only this item, as it is')
      .option('--out <format>', 'table | json', 'table'),
  ).action(async (rawPath: string, opts: VarOptions & { item?: string }, cmd: Command) => {
    const o = io(wantsJson(opts));
    const show = async (
      read: (path: string) => Promise<{ meta: VariableMeta; items: Record<string, string> }>,
    ) => {
      const format = outFormat(opts, ['table', 'json']);
      const path = sanitizePath(rawPath);
      const { meta, items } = await read(path);
      if (opts.item !== undefined) {
        if (!Object.hasOwn(items, opts.item))
          throw new UserError(`Variable "${path}" has no item "${opts.item}"`);
        process.stdout.write(items[opts.item]! + '\n');
      } else if (format === 'json') printJson(o, { ...meta, Items: sortedItems(items) });
      else {
        metaTable(o, meta);
        o.out('\n' + o.style.bold('Items'));
        const keys = Object.keys(items).sort();
        const width = Math.max(...keys.map((k) => k.length));
        for (const k of keys) o.out(`${k.padEnd(width)} = ${items[k]!}`);
      }
      process.exitCode = 0;
    };
    const remote = remoteTarget(cmd);
    if (remote) return runRemote(o, remote, (api) => show((path) => remoteVarGet(api, path)));
    await withSession(o, opts, (session) =>
      show(async (path) => {
        const stored = variablesOf(await session.store.read())[path];
        if (!stored) throw new UserError('Variable not found');
        return { meta: variableMeta(stored), items: openVariable(stored, sessionKeyring(session)) };
      }),
    );
  });

  common(
    v
      .command('list')
      .description('list Variables (metadata only, never values) whose path starts with PREFIX')
      .argument('[prefix]')
      .option('--out <format>', 'table | json', 'table'),
  ).action(async (prefix: string | undefined, opts: VarOptions, cmd: Command) => {
    const o = io(wantsJson(opts));
    const show = async (metas: () => Promise<VariableMeta[]>) => {
      const format = outFormat(opts, ['table', 'json']);
      const listed = await metas();
      if (format === 'json') printJson(o, listed);
      else if (listed.length === 0) o.out('No matching variables found');
      else
        table(
          o,
          ['Namespace', 'Path', 'Last Updated'],
          listed.map((m) => [m.Namespace, m.Path, isoOf(m.ModifyTime)]),
        );
      process.exitCode = 0;
    };
    const remote = remoteTarget(cmd);
    if (remote) return runRemote(o, remote, (api) => show(() => remoteVarList(api, prefix ?? '')));
    await withSession(o, opts, (session) =>
      show(async () => listVariables(await session.store.read(), prefix ?? '')),
    );
  });

  common(
    v
      .command('purge')
      .description('delete a Variable')
      .argument('<path>')
      .option('--check-index <n>', 'delete only if the Variable is at this modify index')
      .option(...LOCK_TIMEOUT_OPTION),
  ).action(async (rawPath: string, opts: VarOptions & { checkIndex?: string }, cmd: Command) => {
    const o = io(Boolean(opts.json));
    const purge = async (
      remove: (path: string, checkIndex: number | undefined) => Promise<VariableMeta | undefined>,
    ) => {
      const path = sanitizePath(rawPath);
      const checkIndex = opts.checkIndex !== undefined ? parseIndex(opts.checkIndex) : undefined;
      const purged = await remove(path, checkIndex);
      if (o.json) printJson(o, { Path: path, Purged: purged !== undefined });
      else o.out(`Successfully purged variable "${path}"!`);
      process.exitCode = 0;
    };
    const remote = remoteTarget(cmd);
    if (remote)
      return runRemote(o, remote, (api) =>
        purge((path, checkIndex) => remoteVarPurge(api, path, checkIndex)),
      );
    await withSession(o, opts, (session) =>
      purge((path, checkIndex) =>
        removeVariable(session, {
          path,
          ...(checkIndex !== undefined ? { checkIndex } : {}),
          lockTimeoutMs: lockTimeoutMs(opts),
        }),
      ),
    );
  });

  const keyring = common(
    v
      .command('keyring')
      .description('show where the Variables key is kept and its id (not the key itself)'),
  ).action(async (opts: VarOptions) => {
    const o = io(Boolean(opts.json));
    await withSession(o, opts, (session) => {
      const k = sessionKeyring(session);
      const source = keyringSource(keyringOptions(session.config));
      const info = {
        source: source.kind === 'env' ? KEY_ENV : source.path,
        active: k.active?.id ?? null,
        keys: k.keys.map((key) => key.id),
      };
      if (o.json) printJson(o, info);
      else
        o.out(
          `Keyring    = ${info.source}${k.keys.length === 0 ? ' (no keys yet: drover var put creates it)' : ''}\n` +
            `Active key = ${info.active ?? '-'}\nKeys       = ${info.keys.join(', ') || '-'}`,
        );
      process.exitCode = 0;
      return Promise.resolve();
    });
  });
  common(
    keyring
      .command('rotate')
      .description(
        'add a new key that seals Variables from now on; old keys stay to open older ones',
      ),
  ).action(async (opts: VarOptions) => {
    const o = io(Boolean(opts.json));
    await withSession(o, opts, async (session) => {
      const key = await rotateKeyring(keyringOptions(session.config));
      if (o.json) printJson(o, { active: key.id });
      else
        o.out(
          `New active key ${key.id}. Variables written from now on are sealed with it; back up the keyring again.`,
        );
      process.exitCode = 0;
    });
  });
}

/** The environment's key or keyring, else the keyring file drover.hcl names. */
function wantsJson(opts: VarOptions): boolean {
  return Boolean(opts.json) || opts.out === 'json';
}

function outFormat(opts: VarOptions, allowed: readonly string[]): string {
  const format = opts.json ? 'json' : (opts.out ?? allowed[0]!);
  if (!allowed.includes(format))
    throw new UserError(`Invalid value for "-out"; valid values are [${allowed.join(', ')}]`);
  return format;
}

function inFormat(given: string | undefined): SpecFormat | undefined {
  if (given === undefined || given === 'json' || given === 'hcl') return given;
  throw new UserError('Invalid value for "-in"; valid values are [hcl, json]');
}

function parseIndex(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new UserError(`Error parsing check-index value "${text}": not a whole number`);
  return n;
}

function metaTable(o: Output, m: VariableMeta): void {
  const rows = [
    ['Namespace', m.Namespace],
    ['Path', m.Path],
    ['Create Time', isoOf(m.CreateTime)],
    ...(m.CreateTime !== m.ModifyTime ? [['Modify Time', isoOf(m.ModifyTime)]] : []),
    ['Check Index', String(m.ModifyIndex)],
  ];
  for (const [k, val] of rows) o.out(`${k!.padEnd(11)} = ${val!}`);
}

function isoOf(nanos: number): string {
  return new Date(Math.floor(nanos / 1e6)).toISOString();
}

function sortedItems(items: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(items).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The keyring the session read as it opened; why it could not, as the error. */
function sessionKeyring(session: Session): Keyring {
  if (session.keyring instanceof Error) throw session.keyring;
  return session.keyring;
}
