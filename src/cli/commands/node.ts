/** `drover node …`: the inventory as drover sees it, eligibility, drains and host keys. */
import type { HostVolume } from '../../config/node-spec.js';
import type { Command } from 'commander';
import { clusterFromState } from '../../scheduler/index.js';
import type { StateSnapshot } from '../../state/types.js';
import { printJson, type Output } from '../output.js';
import { forgetHostKey, observe, planDrain, planEligibility } from '../../ops/index.js';
import { mutate, table } from './jobs.js';
import { UserError, withSession } from '../with-session.js';
import { addApplyOptions, addOutOption, addStateOptions, type PlanOptions } from './plan.js';
import { drainRequest, eligibilityRequest, remoteChange } from '../remote/writes.js';

export function registerNodeCommands(program: Command, io: (json: boolean) => Output): void {
  const node = program
    .command('node')
    .description('inspect nodes, drain them, set eligibility, trust new host keys');

  addStateOptions(
    node
      .command('status')
      .description('nodes with their resources and allocations; one node in detail')
      .argument('[node]'),
  )
    .option('--json', 'print machine-readable JSON')
    .action(async (name: string | undefined, opts: PlanOptions) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        const observed = await observe(session, opts.refresh !== 'false');
        const rows = nodeRows(observed.state, new Set(observed.down.map((d) => d.node)));
        if (name) {
          const row = rows.find((r) => r.name === name);
          if (!row)
            throw new UserError(`no node "${name}" (nodes: ${rows.map((r) => r.name).join(', ')})`);
          const n = observed.state.nodes[name]!;
          const allocs = Object.values(observed.state.allocations).filter(
            (a) => a.node === name && a.desired_status === 'run',
          );
          if (o.json)
            printJson(o, {
              ...row,
              attributes: n.fingerprint?.attributes ?? {},
              host_volumes: n.inventory.host_volumes ?? {},
              allocations: allocs,
            });
          else {
            o.out(
              `Name        = ${row.name}\nTransport   = ${row.transport}\nAddress     = ${row.address}\nDatacenter  = ${row.datacenter}\nClass       = ${row.class || '<none>'}\nEligibility = ${row.eligibility}\nDrain       = ${row.drain}\nStatus      = ${row.status}\nCPU         = ${row.cpu_used}/${row.cpu_total} MHz\nMemory      = ${row.memory_used}/${row.memory_total} MB\n`,
            );
            o.out(o.style.bold('Allocations'));
            if (allocs.length === 0) o.out('No allocations.');
            else
              table(
                o,
                ['ID', 'Name', 'Version', 'Status'],
                allocs.map((a) => [a.id.slice(0, 8), a.name, String(a.version), a.client_status]),
              );
            // Nomad's `node status` lists them the same way (Name, ReadOnly, Source).
            const volumes = Object.entries(
              (n.inventory.host_volumes ?? {}) as Record<string, HostVolume>,
            );
            if (volumes.length > 0) {
              o.out('\n' + o.style.bold('Host Volumes'));
              table(
                o,
                ['Name', 'ReadOnly', 'Source'],
                volumes.map(([k, v]) => [k, String(v.read_only), v.path]),
              );
            }
            o.out('\n' + o.style.bold('Attributes'));
            for (const [k, v] of Object.entries(n.fingerprint?.attributes ?? {}).sort())
              o.out(`${k} = ${v}`);
          }
        } else if (o.json) printJson(o, { nodes: rows });
        else
          table(
            o,
            [
              'Name',
              'Transport',
              'DC',
              'Class',
              'Eligibility',
              'Drain',
              'Status',
              'Allocs',
              'CPU MHz',
              'Memory MB',
            ],
            rows.map((r) => [
              r.name,
              r.transport,
              r.datacenter,
              r.class || '-',
              r.eligibility,
              String(r.drain),
              r.status,
              String(r.allocations),
              `${r.cpu_used}/${r.cpu_total}`,
              `${r.memory_used}/${r.memory_total}`,
            ]),
          );
        for (const d of observed.down)
          o.err(`${o.errStyle.warning('warning')}: node "${d.node}" did not answer: ${d.reason}`);
        process.exitCode = 0;
      });
    });

  addOutOption(
    addApplyOptions(
      addStateOptions(
        node
          .command('eligibility')
          .description('let the scheduler place new allocations on a node, or not')
          .argument('<node>'),
      ),
    ),
  )
    .option('--enable', 'eligible for new placements')
    .option('--disable', 'no new placements (running allocations stay)')
    .option('--json', 'print machine-readable JSON')
    .action(
      async (
        name: string,
        opts: PlanOptions & { enable?: boolean; disable?: boolean },
        cmd: Command,
      ) => {
        if (Boolean(opts.enable) === Boolean(opts.disable)) {
          process.stderr.write('error: give exactly one of -enable or -disable\n');
          return void (process.exitCode = 1);
        }
        await (remoteChange(io, opts, cmd, () => eligibilityRequest(name, Boolean(opts.enable))) ??
          mutate(io, opts, 'node eligibility', (session, observed) =>
            planEligibility(session, observed, name, Boolean(opts.enable)),
          ));
      },
    );

  node
    .command('trust')
    .description("forget a node's pinned SSH host key: the next connection pins the key it finds")
    .argument('<node>')
    .option('--config <file>', 'the drover.hcl to use')
    .option('--json', 'print machine-readable JSON')
    .action(async (name: string, opts: { config?: string; json?: boolean }) => {
      const o = io(Boolean(opts.json));
      await withSession(o, opts, async (session) => {
        await forgetHostKey(session, name);
        if (o.json) printJson(o, { node: name, done: true });
        else
          o.out(
            `Forgot the host key of node "${name}"; the next connection pins the key it is shown. Check it out of band first.`,
          );
        process.exitCode = 0;
      });
    });

  addOutOption(
    addApplyOptions(
      addStateOptions(
        node
          .command('drain')
          .description("move a node's allocations elsewhere, following each group's migrate stanza")
          .argument('<node>'),
      ),
    ),
  )
    .option('--disable', 'end the drain: the node is eligible again')
    .option('--ignore-system', "leave system and sysbatch jobs' allocations on the node")
    .option('--json', 'print machine-readable JSON')
    .action(
      (
        name: string,
        opts: PlanOptions & { disable?: boolean; ignoreSystem?: boolean },
        cmd: Command,
      ) =>
        remoteChange(io, opts, cmd, () =>
          drainRequest(name, !opts.disable, Boolean(opts.ignoreSystem)),
        ) ??
        mutate(io, opts, 'node drain', (session, observed) =>
          planDrain(session, observed, name, !opts.disable, {
            ignoreSystemJobs: Boolean(opts.ignoreSystem),
          }),
        ),
    );
}

function nodeRows(state: StateSnapshot, down: Set<string>) {
  const cluster = clusterFromState(state, { down: [...down] });
  return cluster.nodes.map((n) => {
    const allocs = cluster.allocations.filter((a) => a.node === n.name);
    const rec = state.nodes[n.name]!;
    return {
      name: n.name,
      transport: String(rec.inventory.transport),
      address: n.address ?? '-',
      datacenter: n.datacenter,
      class: n.class ?? '',
      eligibility: rec.eligibility,
      drain: Boolean(rec.drain),
      status: down.has(n.name) ? 'down' : rec.fingerprint ? 'ready' : 'unknown',
      allocations: allocs.length,
      cpu_used: allocs.reduce((t, a) => t + a.cpu, 0),
      cpu_total: n.resources.cpu,
      memory_used: allocs.reduce((t, a) => t + a.memory, 0),
      memory_total: n.resources.memory,
    };
  });
}
