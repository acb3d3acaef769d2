/**
 * `drover acl role …`: a running server's ACL roles (Nomad's `nomad acl role …`): a role names a
 * set of policies; tokens made with `-role-name`/`-role-id` get them, as they are at each request.
 */
import type { Command } from 'commander';
import { collect } from '../args.js';
import type { ApiClient } from '../api-client.js';
import { printJson, type Output } from '../output.js';
import { UserError } from '../with-session.js';
import { table } from './jobs.js';
import type { NomadAclRole } from '../../server/acl/roles.js';
import { kv, run, serverCommand, type Flags, type Io } from './acl-client.js';

interface RoleFlags extends Flags {
  name?: string;
  description?: string;
  policy: string[];
}

function policyNames(r: Pick<NomadAclRole, 'Policies'>): string {
  return r.Policies.map((p) => p.Name).join(', ');
}

function showRole(o: Output, r: NomadAclRole): void {
  if (o.json) return printJson(o, r);
  kv(o, [
    ['ID', r.ID],
    ['Name', r.Name],
    ['Description', r.Description],
    ['Policies', policyNames(r)],
    ['Create Index', String(r.CreateIndex)],
    ['Modify Index', String(r.ModifyIndex)],
  ]);
}

function roleBody(name: string, description: string, policies: readonly string[]) {
  return { Name: name, Description: description, Policies: policies.map((Name) => ({ Name })) };
}

function getRole(api: ApiClient, id: string, byName = false): Promise<NomadAclRole> {
  const path = byName
    ? `/v1/acl/role/name/${encodeURIComponent(id)}`
    : `/v1/acl/role/${encodeURIComponent(id)}`;
  return api.request<NomadAclRole>('GET', path);
}

/** The options of `create` and `update`: what a role is. */
function roleOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'the role name (letters, digits, dashes)')
    .option('--description <text>', 'what the role is for')
    .option('--policy <name>', 'a policy the role grants (repeatable)', collect, []);
}

export function registerAclRoleCommands(acl: Command, io: Io): void {
  const role = acl
    .command('role')
    .description('create, list, show, update and delete ACL roles (named sets of policies)');

  roleOptions(serverCommand(role.command('create')))
    .description('create a role granting its policies to the tokens linked to it')
    .action((flags: RoleFlags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        if (!flags.name) throw new UserError('acl role create needs -name');
        if (flags.policy.length === 0)
          throw new UserError('acl role create needs at least one -policy');
        showRole(
          o,
          await api.request<NomadAclRole>(
            'POST',
            '/v1/acl/role',
            roleBody(flags.name, flags.description ?? '', flags.policy),
          ),
        );
      }),
    );

  serverCommand(role.command('list'))
    .description('list the roles (a client token: the ones it is linked to)')
    .option('--prefix <id>', 'only roles whose id starts with this')
    .action((flags: Flags & { prefix?: string }, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const query = flags.prefix ? `?prefix=${encodeURIComponent(flags.prefix)}` : '';
        const list = await api.request<NomadAclRole[]>('GET', `/v1/acl/roles${query}`);
        if (o.json) printJson(o, list);
        else if (list.length === 0) o.out('No ACL roles found');
        else
          table(
            o,
            ['ID', 'Name', 'Description', 'Policies'],
            list.map((r) => [r.ID, r.Name, r.Description, policyNames(r)]),
          );
      }),
    );

  serverCommand(role.command('info'))
    .description('show a role by its id (or its name with -by-name)')
    .argument('<id>')
    .option('--by-name', 'the argument is the role name')
    .action((id: string, flags: Flags & { byName?: boolean }, cmd: Command) =>
      run(io, cmd, async (api, o) => showRole(o, await getRole(api, id, flags.byName))),
    );

  roleOptions(serverCommand(role.command('update')))
    .description(
      'change a role by its id: the name, description and policies given replace its own (the rest is kept, unless -no-merge)',
    )
    .argument('<id>')
    .option('--no-merge', 'keep nothing of the role but its id: every field as given')
    .action((id: string, flags: RoleFlags & { merge: boolean }, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        const current = flags.merge ? await getRole(api, id) : undefined;
        const name = flags.name ?? current?.Name ?? '';
        const description = flags.description ?? current?.Description ?? '';
        const policies = flags.policy.length
          ? flags.policy
          : (current?.Policies.map((p) => p.Name) ?? []);
        showRole(
          o,
          await api.request<NomadAclRole>('POST', `/v1/acl/role/${encodeURIComponent(id)}`, {
            ID: id,
            ...roleBody(name, description, policies),
          }),
        );
      }),
    );

  serverCommand(role.command('delete'))
    .description('delete a role by its id: the tokens linked to it lose what it granted')
    .argument('<id>')
    .action((id: string, flags: Flags, cmd: Command) =>
      run(io, cmd, async (api, o) => {
        await api.request('DELETE', `/v1/acl/role/${encodeURIComponent(id)}`);
        if (o.json) printJson(o, { id, deleted: true });
        else o.out(`ACL role ${id} successfully deleted`);
      }),
    );
}
