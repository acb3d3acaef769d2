/** Topology: nodes by datacenter, each a box filled by the CPU and memory its allocations reserve. */
import type { JSX } from 'preact';
import { Link, Loaded } from '../components';
import { useWatch } from '../hooks';
import { nodeHref } from './links';
import { NO_NODES } from './nodes';

interface NodeFull {
  ID: string;
  Name: string;
  Datacenter: string;
  Status: string;
  NodeResources: { Cpu: { CpuShares: number }; Memory: { MemoryMB: number } };
}
interface AllocWithResources {
  NodeID: string;
  ClientStatus: string;
  DesiredStatus: string;
  AllocatedResources?: {
    Tasks: Record<string, { Cpu: { CpuShares: number }; Memory: { MemoryMB: number } }>;
  } | null;
}

/** What the running allocations on each node reserve. */
export function reservedByNode(
  allocs: AllocWithResources[],
): Map<string, { cpu: number; mem: number }> {
  const out = new Map<string, { cpu: number; mem: number }>();
  for (const a of allocs) {
    if (a.DesiredStatus !== 'run' || ['complete', 'failed', 'lost'].includes(a.ClientStatus))
      continue;
    const r = out.get(a.NodeID) ?? { cpu: 0, mem: 0 };
    for (const t of Object.values(a.AllocatedResources?.Tasks ?? {})) {
      r.cpu += t.Cpu.CpuShares;
      r.mem += t.Memory.MemoryMB;
    }
    out.set(a.NodeID, r);
  }
  return out;
}

function Meter({
  label,
  used,
  total,
  unit,
}: {
  label: string;
  used: number;
  total: number;
  unit: string;
}): JSX.Element {
  const pct = total > 0 ? Math.min(100, Math.round((100 * used) / total)) : 0;
  return (
    <div class="meter">
      <span>
        {label} {used}/{total} {unit} ({pct}%)
      </span>
      <span
        class="meter-bar"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
      >
        <span style={{ width: `${pct}%` }} />
      </span>
    </div>
  );
}

export function TopologyPage(): JSX.Element {
  const nodes = useWatch<{ ID: string; Datacenter: string }[]>('/v1/nodes');
  const allocs = useWatch<AllocWithResources[]>(
    '/v1/allocations?resources=true&task_states=false&namespace=*',
  );
  return (
    <>
      <h1>Topology</h1>
      <Loaded w={nodes}>
        {(stubs) => (
          <Loaded w={allocs}>
            {(all) => <Datacenters nodes={stubs} reserved={reservedByNode(all)} />}
          </Loaded>
        )}
      </Loaded>
    </>
  );
}

function Datacenters(props: {
  nodes: { ID: string; Datacenter: string }[];
  reserved: Map<string, { cpu: number; mem: number }>;
}): JSX.Element {
  if (props.nodes.length === 0) return <p class="muted">{NO_NODES}</p>;
  const dcs = [...new Set(props.nodes.map((n) => n.Datacenter))].sort();
  // The list stub lacks resources: each node box watches its node.
  return (
    <>
      {dcs.map((dc) => (
        <section key={dc} class="datacenter" aria-label={`datacenter ${dc}`}>
          <h2>{dc}</h2>
          <div class="topology">
            {props.nodes
              .filter((n) => n.Datacenter === dc)
              .map((n) => (
                <NodeBox
                  key={n.ID}
                  id={n.ID}
                  reserved={props.reserved.get(n.ID) ?? { cpu: 0, mem: 0 }}
                />
              ))}
          </div>
        </section>
      ))}
    </>
  );
}

function NodeBox({
  id,
  reserved,
}: {
  id: string;
  reserved: { cpu: number; mem: number };
}): JSX.Element {
  const node = useWatch<NodeFull>(`/v1/node/${encodeURIComponent(id)}`);
  return (
    <Loaded w={node}>
      {(n) => (
        <article class="nodebox" data-node={n.Name} aria-label={`node ${n.Name}`}>
          <h3>
            <Link to={nodeHref(n.ID)}>{n.Name}</Link> <span class="muted">{n.Datacenter}</span>
          </h3>
          <Meter label="CPU" used={reserved.cpu} total={n.NodeResources.Cpu.CpuShares} unit="MHz" />
          <Meter
            label="Memory"
            used={reserved.mem}
            total={n.NodeResources.Memory.MemoryMB}
            unit="MiB"
          />
        </article>
      )}
    </Loaded>
  );
}
