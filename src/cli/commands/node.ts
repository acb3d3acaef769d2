/** `drover node …`: the inventory as drover sees it, eligibility, drains and host keys. */
import type { Command } from 'commander';
import { nodeDetail, nodeRows, type NodeDetail, type NodeRow } from '../../ops/node-view.js';
import { printJson, type Output } from '../output.js';
import { forgetHostKey, observe, planDrain, planEligibility } from '../../ops/index.js';
import { mutate, table } from './jobs.js';
import { withSession } from '../with-session.js';
import { addApplyOptions, addOutOption, addStateOptions, type PlanOptions } from './plan.js';
import { drainRequest, eligibilityRequest, remoteChange } from '../remote/writes.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { remoteNodeDetail, remoteNodeRows } from '../remote/nodes.js';

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
    .action(async (name: string | undefined, opts: PlanOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote)
        // The server watches the nodes itself: what it knows is shown, no node is asked here.
        return runRemote(o, remote, async (api) =>
          name === undefined
            ? printNodes(o, await remoteNodeRows(api))
            : printNode(o, await remoteNodeDetail(api, name)),
        );
      await withSession(o, opts, async (session) => {
        const observed = await observe(session, opts.refresh !== 'false');
        const down = new Set(observed.down.map((d) => d.node));
        if (name) printNode(o, nodeDetail(observed.state, down, name));
        else printNodes(o, nodeRows(observed.state, down));
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

function printNode(o: Output, node: NodeDetail): void {
  if (o.json) return printJson(o, node);
  o.out(
    `Name        = ${node.name}\nTransport   = ${node.transport}\nAddress     = ${node.address}\nDatacenter  = ${node.datacenter}\nClass       = ${node.class || '<none>'}\nEligibility = ${node.eligibility}\nDrain       = ${node.drain}\nStatus      = ${node.status}\nCPU         = ${node.cpu_used}/${node.cpu_total} MHz\nMemory      = ${node.memory_used}/${node.memory_total} MB\n`,
  );
  o.out(o.style.bold('Allocations'));
  if (node.allocations.length === 0) o.out('No allocations.');
  else
    table(
      o,
      ['ID', 'Name', 'Version', 'Status'],
      node.allocations.map((a) => [a.id.slice(0, 8), a.name, String(a.version), a.client_status]),
    );
  // Nomad's `node status` lists them the same way (Name, ReadOnly, Source).
  const volumes = Object.entries(node.host_volumes);
  if (volumes.length > 0) {
    o.out('\n' + o.style.bold('Host Volumes'));
    table(
      o,
      ['Name', 'ReadOnly', 'Source'],
      volumes.map(([k, v]) => [k, String(v.read_only), v.path]),
    );
  }
  o.out('\n' + o.style.bold('Attributes'));
  for (const [k, v] of Object.entries(node.attributes).sort()) o.out(`${k} = ${v}`);
}

function printNodes(o: Output, rows: NodeRow[]): void {
  if (o.json) return printJson(o, { nodes: rows });
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
}
