/**
 * `drover acl …`: a running server's ACL system through its HTTP API (api-client.ts), as
 * Nomad's `nomad acl …` commands (roles: acl-role.ts). A secret is printed by `bootstrap` and `token create`, once;
 * nothing else prints one (not `token self`, though the server echoes the caller's).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { collect } from '../args.js';
import { printJson, type Output } from '../output.js';
import { UserError } from '../with-session.js';
import { kv, run, serverCommand, type Flags, type Io } from './acl-client.js';
import { table } from './jobs.js';
import { registerAclRoleCommands } from './acl-role.js';
import { policySource } from '../../server/acl/policy.js';
import type {
  NomadAclPolicy,
  NomadAclPolicyStub,
  NomadAclToken,
  NomadAclTokenStub,
} from '../../server/acl/nomad.js';

/** What `Secret ID` reads where the secret is not shown. */
export const SECRET_NOT_SHOWN = '(shown only when created)';

/** A token as Nomad's CLI shows it; the secret only when `showSecret`. */
function printToken(o: Output, t: NomadAclToken | NomadAclTokenStub, showSecret: boolean): void {
  kv(o, [
    ['Accessor ID', t.AccessorID],
    // drover keeps only a secret's hash: after its creation no one can be shown it again.
    ['Secret ID', showSecret && 'SecretID' in t && t.SecretID ? t.SecretID : SECRET_NOT_SHOWN],
    ['Name', t.Name],
    ['Type', t.Type],
    ['Global', String(t.Global)],
    ['Create Time', t.CreateTime],
    ['Expiry Time', t.ExpirationTime ?? '<none>'],
    ['Create Index', String(t.CreateIndex)],
    ['Modify Index', String(t.ModifyIndex)],
    ['Policies', t.Type === 'management' ? 'n/a' : (t.Policies ?? []).join(', ')],
    ['Roles', t.Type === 'management' ? 'n/a' : (t.Roles ?? []).map((r) => r.Name).join(', ')],
  ]);
}

/**
 * The server's warnings about a policy (`policy NAME:line:col: …`, one per line), naming the
 * file the rules came from instead.
 */
export function policyWarnings(
  answer: { Warnings?: string } | null,
  name: string,
  file: string,
): string[] {
  const text = answer?.Warnings ?? '';
  const prefix = `${policySource(name)}:`;
  return text
    .split('\n')
    .filter((w) => w !== '')
    .map((w) => (w.startsWith(prefix) ? `${file}:${w.slice(prefix.length)}` : w));
}

/** A token for JSON output without its secret. */
function withoutSecret(t: NomadAclToken): Omit<NomadAclToken, 'SecretID'> {
  const { SecretID: _s, ...rest } = t;
  return rest;
}

function showToken(o: Output, t: NomadAclToken, showSecret: boolean): void {
  if (o.json) printJson(o, showSecret ? t : withoutSecret(t));
  else printToken(o, t, showSecret);
}

export function registerAclCommands(program: Command, io: Io): void {
  const acl = program
    .command('acl')
    .description(
      'manage the ACL system of a running drover server: bootstrap, policies, roles, tokens',
    );

  serverCommand(acl.command('bootstrap'))
    .description(
      'bootstrap the ACL system: create the management token and print its secret (once)',
    )
    .action((flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        showToken(o, await api.request<NomadAclToken>('POST', '/v1/acl/bootstrap'), true);
      }),
    );

  const policy = acl.command('policy').description('create, list, show and delete ACL policies');
  serverCommand(policy.command('apply'))
    .description(
      "create or update the policy NAME from the rules in FILE (Nomad's policy language)",
    )
    .argument('<name>')
    .argument('<file>')
    .option('--description <text>', 'what the policy is for')
    .action((name: string, file: string, flags: Flags & { description?: string }, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const rules = await readFile(file, 'utf8').catch((e: Error) => {
          throw new UserError(`cannot read ${file}: ${e.message}`);
        });
        const answer = await api.request<{ Warnings?: string } | null>(
          'POST',
          `/v1/acl/policy/${encodeURIComponent(name)}`,
          { Name: name, Description: flags.description ?? '', Rules: rules },
        );
        const warnings = policyWarnings(answer, name, file);
        for (const w of warnings) o.err(`Warning: ${w}`);
        if (o.json) printJson(o, { name, applied: true, warnings });
        else o.out(`Successfully wrote "${name}" ACL policy!`);
      }),
    );
  serverCommand(policy.command('list'))
    .description('list the policies')
    .action((flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const list = await api.request<NomadAclPolicyStub[]>('GET', '/v1/acl/policies');
        if (o.json) printJson(o, list);
        else if (list.length === 0) o.out('No policies found');
        else
          table(
            o,
            ['Name', 'Description'],
            list.map((p) => [p.Name, p.Description]),
          );
      }),
    );
  serverCommand(policy.command('info'))
    .description('show a policy and its rules')
    .argument('<name>')
    .action((name: string, flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const p = await api.request<NomadAclPolicy>(
          'GET',
          `/v1/acl/policy/${encodeURIComponent(name)}`,
        );
        if (o.json) return printJson(o, p);
        kv(o, [
          ['Name', p.Name],
          ['Description', p.Description],
          ['CreateIndex', String(p.CreateIndex)],
          ['ModifyIndex', String(p.ModifyIndex)],
        ]);
        o.out('\n' + o.style.bold('Rules') + '\n\n' + p.Rules.trimEnd());
      }),
    );
  serverCommand(policy.command('delete'))
    .description('delete a policy')
    .argument('<name>')
    .action((name: string, flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        await api.request('DELETE', `/v1/acl/policy/${encodeURIComponent(name)}`);
        if (o.json) printJson(o, { name, deleted: true });
        else o.out(`Successfully deleted "${name}" ACL policy!`);
      }),
    );

  registerAclRoleCommands(acl, io);

  const token = acl.command('token').description('create, list, show and delete ACL tokens');
  serverCommand(token.command('create'))
    .description('create a token and print its secret (once: drover keeps only its hash)')
    .option('--name <name>', 'what the token is for (the audit trail names its actions by it)', '')
    .option(
      '--type <type>',
      'client (what its policies allow) or management (everything)',
      'client',
    )
    .option('--policy <name>', 'a policy of a client token (repeatable)', collect, [])
    .option('--role-name <name>', 'a role of a client token, by name (repeatable)', collect, [])
    .option('--role-id <id>', 'a role of a client token, by id (repeatable)', collect, [])
    .option('--ttl <duration>', 'the token expires after this long (1m to 24h: 30m, 8h)')
    .action(
      (
        flags: Flags & {
          name: string;
          type: string;
          policy: string[];
          roleName: string[];
          roleId: string[];
          ttl?: string;
        },
        cmd: Command,
      ) =>
        run(io, cmd, async (api, o) => {
          const roles = [
            ...flags.roleId.map((ID) => ({ ID })),
            ...flags.roleName.map((Name) => ({ Name })),
          ];
          const created = await api.request<NomadAclToken>('POST', '/v1/acl/token', {
            Name: flags.name,
            Type: flags.type,
            Policies: flags.policy,
            ...(roles.length ? { Roles: roles } : {}),
            ...(flags.ttl ? { ExpirationTTL: flags.ttl } : {}),
          });
          showToken(o, created, true);
        }),
    );
  serverCommand(token.command('list'))
    .description('list the tokens (never their secrets)')
    .action((flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const list = await api.request<NomadAclTokenStub[]>('GET', '/v1/acl/tokens');
        if (o.json) return printJson(o, list);
        const now = Date.now();
        table(
          o,
          ['Name', 'Type', 'Global', 'Accessor ID', 'Expired'],
          list.map((t) => [
            t.Name,
            t.Type,
            String(t.Global),
            t.AccessorID,
            String(t.ExpirationTime !== undefined && Date.parse(t.ExpirationTime) <= now),
          ]),
        );
      }),
    );
  serverCommand(token.command('info'))
    .description('show a token by its accessor id (not its secret)')
    .argument('<accessor>')
    .action((accessor: string, flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const t = await api.request<NomadAclToken>(
          'GET',
          `/v1/acl/token/${encodeURIComponent(accessor)}`,
        );
        showToken(o, t, false);
      }),
    );
  serverCommand(token.command('self'))
    .description('show the token in use (-token or DROVER_TOKEN), not its secret')
    .action((flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        showToken(o, await api.request<NomadAclToken>('GET', '/v1/acl/token/self'), false);
      }),
    );
  serverCommand(token.command('delete'))
    .description('delete (revoke) a token by its accessor id')
    .argument('<accessor>')
    .action((accessor: string, flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        await api.request('DELETE', `/v1/acl/token/${encodeURIComponent(accessor)}`);
        if (o.json) printJson(o, { accessor_id: accessor, deleted: true });
        else o.out(`Token ${accessor} successfully deleted`);
      }),
    );
}
