/** Nodes: the list, and one node's attributes, drivers, host volumes, allocations and controls. */
import type { JSX } from 'preact';
import { post, seg } from '../api';
import { ActButton, Badge, KV, Link, Loaded, Section, Table } from '../components';
import { useWatch } from '../hooks';
import { mayNode, useWho } from '../perms';
import { AllocTable, type AllocStub } from './job';
import { nodeHref } from './links';

export interface NodeStub {
  ID: string;
  Name: string;
  Address: string;
  Datacenter: string;
  NodeClass: string;
  NodePool: string;
  Status: string;
  Drain: boolean;
  SchedulingEligibility: string;
  Drivers: Record<string, { Detected: boolean; Healthy: boolean; HealthDescription: string }>;
}

interface Node extends NodeStub {
  Attributes: Record<string, string>;
  Meta: Record<string, string> | null;
  HostVolumes: Record<string, { Path: string; ReadOnly: boolean }> | null;
  NodeResources: {
    Cpu: { CpuShares: number };
    Memory: { MemoryMB: number };
    Disk: { DiskMB: number };
  };
}

export function NodesPage(): JSX.Element {
  const nodes = useWatch<NodeStub[]>('/v1/nodes');
  return (
    <>
      <h1>Nodes</h1>
      <Loaded w={nodes}>
        {(all) => (
          <Table
            label="Nodes"
            head={['Node', 'Address', 'Datacenter', 'Class', 'Status', 'Eligibility', 'Drivers']}
            rows={[...all].sort((a, b) => (a.Name < b.Name ? -1 : 1))}
            empty={NO_NODES}
            row={(n) => (
              <tr key={n.ID} data-node={n.Name}>
                <td>
                  <Link to={nodeHref(n.ID)}>{n.Name}</Link>
                </td>
                <td class="mono">{n.Address}</td>
                <td>{n.Datacenter}</td>
                <td>{n.NodeClass}</td>
                <td>
                  <Badge status={n.Status} />
                </td>
                <td>
                  {n.SchedulingEligibility}
                  {n.Drain ? ' (draining)' : ''}
                </td>
                <td>{healthyDrivers(n).join(', ')}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </>
  );
}

/** Why a new server lists none: nodes enter state with the first apply that looks at them. */
export const NO_NODES =
  'No nodes recorded yet: drover records the nodes of drover.hcl the first time it applies a job.';

const healthyDrivers = (n: NodeStub): string[] =>
  Object.entries(n.Drivers ?? {})
    .filter(([, d]) => d.Detected && d.Healthy)
    .map(([name]) => name)
    .sort();

export function NodePage({ id }: { id: string }): JSX.Element {
  const node = useWatch<Node>(`/v1/node/${seg(id)}`);
  const allocs = useWatch<AllocStub[]>(`/v1/node/${seg(id)}/allocations`);
  const who = useWho();
  return (
    <>
      <h1>
        <span class="muted">Node</span> {id}
      </h1>
      <Loaded w={node}>
        {(n) => (
          <>
            <Section title="Summary">
              <KV
                rows={[
                  ['Status', <Badge status={n.Status} />],
                  ['Address', n.Address],
                  ['Datacenter', n.Datacenter],
                  ['Class', n.NodeClass],
                  ['Pool', n.NodePool],
                  ['Eligibility', n.SchedulingEligibility],
                  ['Draining', n.Drain ? 'yes' : 'no'],
                  ['CPU', `${n.NodeResources.Cpu.CpuShares} MHz`],
                  ['Memory', `${n.NodeResources.Memory.MemoryMB} MiB`],
                ]}
              />
              {mayNode(who) && (
                <p class="actions">
                  {/* Keyed by what they do: an outcome never stays beside the opposite button. */}
                  <ActButton
                    key={n.SchedulingEligibility}
                    label={
                      n.SchedulingEligibility === 'eligible' ? 'Mark ineligible' : 'Mark eligible'
                    }
                    act={async () => {
                      const wanted =
                        n.SchedulingEligibility === 'eligible' ? 'ineligible' : 'eligible';
                      await post(`/v1/node/${seg(n.ID)}/eligibility`, {
                        NodeID: n.ID,
                        Eligibility: wanted,
                      });
                      return wanted;
                    }}
                  />
                  <ActButton
                    key={n.Drain ? 'undrain' : 'drain'}
                    label={n.Drain ? 'Stop draining' : 'Drain'}
                    danger={!n.Drain}
                    confirm={!n.Drain}
                    act={async () => {
                      await post(
                        `/v1/node/${seg(n.ID)}/drain`,
                        n.Drain
                          ? { NodeID: n.ID, DrainSpec: null, MarkEligible: true }
                          : {
                              NodeID: n.ID,
                              DrainSpec: { Deadline: 3_600_000_000_000, IgnoreSystemJobs: false },
                            },
                      );
                      return n.Drain ? 'drain stopped' : 'draining';
                    }}
                  />
                </p>
              )}
            </Section>
            <Section title="Allocations">
              <Loaded w={allocs}>
                {(all) => (
                  <AllocTable allocs={[...all].sort((a, b) => b.CreateTime - a.CreateTime)} />
                )}
              </Loaded>
            </Section>
            <Section title="Drivers">
              <Table
                label="Drivers"
                head={['Driver', 'Detected', 'Healthy', 'Description']}
                rows={Object.entries(n.Drivers ?? {}).sort()}
                empty="No drivers."
                row={([name, d]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>{d.Detected ? 'yes' : 'no'}</td>
                    <td>{d.Healthy ? 'yes' : 'no'}</td>
                    <td>{d.HealthDescription}</td>
                  </tr>
                )}
              />
            </Section>
            <Section title="Host volumes">
              <Table
                label="Host volumes"
                head={['Volume', 'Path', 'Read only']}
                rows={Object.entries(n.HostVolumes ?? {}).sort()}
                empty="No host volumes."
                row={([name, v]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td class="mono">{v.Path}</td>
                    <td>{v.ReadOnly ? 'yes' : 'no'}</td>
                  </tr>
                )}
              />
            </Section>
            <Section title="Attributes">
              <KV
                rows={Object.entries({ ...n.Attributes, ...prefixed(n.Meta) }).sort(([a], [b]) =>
                  a < b ? -1 : 1,
                )}
              />
            </Section>
          </>
        )}
      </Loaded>
    </>
  );
}

const prefixed = (meta: Record<string, string> | null): Record<string, string> =>
  Object.fromEntries(Object.entries(meta ?? {}).map(([k, v]) => [`meta.${k}`, v]));
