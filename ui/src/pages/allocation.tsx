/**
 * One allocation: task states and events, resources, ports, checks, reschedule history, restart
 * and stop, and the logs of its tasks.
 */
import type { JSX } from 'preact';
import { post, seg } from '../api';
import { ActButton, Badge, KV, Link, Loaded, Section, Table } from '../components';
import { useWatch } from '../hooks';
import { duration, relative, stamp } from '../model';
import { may, useWho } from '../perms';
import { allocHref, jobHref, nodeHref } from './links';
import { Logs } from './logs';

interface TaskEvent {
  Type: string;
  Time: number;
  DisplayMessage: string;
  Message: string;
  ExitCode: number;
}
interface TaskState {
  State: string;
  Failed: boolean;
  Restarts: number;
  StartedAt: string;
  FinishedAt: string;
  Events: TaskEvent[] | null;
}
interface Port {
  Label: string;
  Value: number;
  To: number;
  HostIP: string;
}
interface Allocation {
  ID: string;
  Name: string;
  Namespace: string;
  JobID: string;
  TaskGroup: string;
  NodeID: string;
  NodeName: string;
  ClientStatus: string;
  ClientDescription: string;
  DesiredStatus: string;
  DesiredDescription: string;
  CreateTime: number;
  TaskStates: Record<string, TaskState> | null;
  AllocatedResources: {
    Tasks: Record<string, { Cpu: { CpuShares: number }; Memory: { MemoryMB: number } }>;
    Shared: { DiskMB: number; Ports: Port[] | null };
  } | null;
  DeploymentStatus: { Healthy: boolean | null; Canary: boolean } | null;
  RescheduleTracker: {
    Events:
      { RescheduleTime: number; PrevAllocID: string; PrevNodeID: string; Delay: number }[] | null;
  } | null;
  PreviousAllocation: string;
  NextAllocation: string;
  Job: AllocJob | null;
}
interface CheckDef {
  Name: string;
  Type: string;
  Path: string;
  Interval: number;
}
interface ServiceDef {
  Name: string;
  PortLabel: string;
  Checks: CheckDef[] | null;
}
interface AllocJob {
  Version: number;
  TaskGroups: {
    Name: string;
    Services: ServiceDef[] | null;
    Tasks: { Services: ServiceDef[] | null }[];
  }[];
}

/** The checks the allocation's group declares, with the service each belongs to. */
function declaredChecks(a: Allocation): { service: string; check: CheckDef }[] {
  const g = a.Job?.TaskGroups.find((x) => x.Name === a.TaskGroup);
  if (!g) return [];
  const services = [...(g.Services ?? []), ...g.Tasks.flatMap((t) => t.Services ?? [])];
  return services.flatMap((s) => (s.Checks ?? []).map((check) => ({ service: s.Name, check })));
}

export function AllocationPage({ id }: { id: string }): JSX.Element {
  const alloc = useWatch<Allocation>(`/v1/allocation/${seg(id)}`);
  return (
    <>
      <h1>
        <span class="muted">Allocation</span> <span class="mono">{id.slice(0, 8)}</span>
      </h1>
      <Loaded w={alloc}>{(a) => <AllocationView a={a} />}</Loaded>
    </>
  );
}

function AllocationView({ a }: { a: Allocation }): JSX.Element {
  const who = useWho();
  const tasks = Object.keys(a.TaskStates ?? {}).sort();
  const live =
    a.DesiredStatus === 'run' && !['complete', 'failed', 'lost'].includes(a.ClientStatus);
  const lifecycle = may(who, 'alloc-lifecycle', a.Namespace);
  const restart = (body: object) => async (): Promise<string> => {
    await post(`/v1/client/allocation/${seg(a.ID)}/restart`, body);
    return 'restarting';
  };
  const ports = a.AllocatedResources?.Shared.Ports ?? [];
  const reschedules = a.RescheduleTracker?.Events ?? [];
  const health =
    a.DeploymentStatus?.Healthy === true
      ? 'healthy'
      : a.DeploymentStatus?.Healthy === false
        ? 'unhealthy'
        : '';
  return (
    <>
      <Section title="Summary">
        <KV
          rows={[
            ['Name', a.Name],
            ['Status', <Badge status={a.ClientStatus} />],
            ['Description', a.ClientDescription],
            [
              'Desired',
              `${a.DesiredStatus}${a.DesiredDescription ? `: ${a.DesiredDescription}` : ''}`,
            ],
            ['Job', <Link to={jobHref(a.JobID, a.Namespace)}>{a.JobID}</Link>],
            ['Version', String(a.Job?.Version ?? '')],
            ['Group', a.TaskGroup],
            ['Node', <Link to={nodeHref(a.NodeID)}>{a.NodeName}</Link>],
            ['Created', `${stamp(a.CreateTime)} (${relative(a.CreateTime)})`],
            ['Health', health],
          ]}
        />
        {lifecycle && (
          <p class="actions">
            {live && <ActButton label="Restart all tasks" act={restart({ AllTasks: true })} />}
            {a.ClientStatus === 'failed' && (
              <ActButton label="Restart" act={restart({ AllTasks: true })} />
            )}
            {live && (
              <ActButton
                label="Stop allocation"
                danger
                confirm
                act={async () => {
                  await post(`/v1/allocation/${seg(a.ID)}/stop`);
                  return 'stopping';
                }}
              />
            )}
          </p>
        )}
      </Section>
      <Section title="Tasks">
        {tasks.map((t) => {
          const s = a.TaskStates![t]!;
          const res = a.AllocatedResources?.Tasks[t];
          return (
            <div class="task" key={t} data-task={t}>
              <h3>
                {t} <Badge status={s.Failed ? 'failed' : s.State} />{' '}
                <span class="muted">
                  {s.Restarts} restarts
                  {res ? ` · ${res.Cpu.CpuShares} MHz · ${res.Memory.MemoryMB} MiB` : ''}
                </span>
              </h3>
              {lifecycle && live && s.State === 'running' && (
                <ActButton label={`Restart ${t}`} act={restart({ TaskName: t })} />
              )}
              <Table
                label={`${t} events`}
                head={['Time', 'Type', 'Message']}
                rows={[...(s.Events ?? [])].reverse()}
                empty="No events."
                row={(e) => (
                  <tr key={`${e.Time}-${e.Type}`}>
                    <td>{stamp(e.Time)}</td>
                    <td>{e.Type}</td>
                    <td>{e.DisplayMessage || e.Message}</td>
                  </tr>
                )}
              />
            </div>
          );
        })}
      </Section>
      <Section title="Ports and addresses">
        <Table
          label="Ports"
          head={['Label', 'Address', 'To']}
          rows={ports}
          empty="No ports."
          row={(p) => (
            <tr key={p.Label}>
              <td>{p.Label}</td>
              <td class="mono">
                {p.HostIP}:{p.Value}
              </td>
              <td>{p.To || ''}</td>
            </tr>
          )}
        />
      </Section>
      <Section title="Health checks">
        <p>
          Deployment health: <Badge status={health === '' ? 'unknown' : health} />
        </p>
        <Table
          label="Checks"
          head={['Service', 'Check', 'Type', 'Interval']}
          rows={declaredChecks(a)}
          empty="The group declares no service check."
          row={({ service, check }) => (
            <tr key={`${service}/${check.Name}`}>
              <td>{service}</td>
              <td>{check.Name}</td>
              <td>
                {check.Type}
                {check.Path ? ` ${check.Path}` : ''}
              </td>
              <td>{duration(check.Interval)}</td>
            </tr>
          )}
        />
      </Section>
      <Section title="Reschedules">
        {a.PreviousAllocation && (
          <p>
            Replaces{' '}
            <Link to={allocHref(a.PreviousAllocation)}>{a.PreviousAllocation.slice(0, 8)}</Link>
          </p>
        )}
        {a.NextAllocation && (
          <p>
            Replaced by <Link to={allocHref(a.NextAllocation)}>{a.NextAllocation.slice(0, 8)}</Link>
          </p>
        )}
        <Table
          label="Reschedule history"
          head={['Time', 'Previous allocation', 'Previous node']}
          rows={reschedules}
          empty="Never rescheduled."
          row={(e) => (
            <tr key={e.PrevAllocID}>
              <td>{stamp(e.RescheduleTime)}</td>
              <td>
                <Link to={allocHref(e.PrevAllocID)}>{e.PrevAllocID.slice(0, 8)}</Link>
              </td>
              <td>{e.PrevNodeID}</td>
            </tr>
          )}
        />
      </Section>
      {may(who, 'read-logs', a.Namespace) && (
        <Section title="Logs" id="logs">
          <Logs allocId={a.ID} tasks={tasks} />
        </Section>
      )}
    </>
  );
}
