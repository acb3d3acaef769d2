/**
 * One job: its deployment drawn as a rollout, versions with a diff between any two and revert,
 * allocations with filters, the HCL as submitted, services, dispatch and periodic launches.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { nextLaunch } from '../../../src/jobspec/cron';
import { del, get, post, seg, withQuery } from '../api';
import {
  ActButton,
  AllocBar,
  Badge,
  KV,
  Link,
  Loaded,
  Pre,
  Section,
  Select,
  Table,
  Tabs,
  TextInput,
} from '../components';
import { useWatch } from '../hooks';
import {
  allocCounts,
  foldUnchanged,
  jobStatus,
  lineDiff,
  relative,
  stamp,
  type GroupSummary,
  type JobStub,
} from '../model';
import { may, useWho } from '../perms';
import { navigate, setQuery, useLocation } from '../router';
import { DeploymentView, type Deployment } from './deployment';
import { allocHref, jobApi, jobHref, nodeHref, planHref } from './links';

interface Service {
  Name: string;
  PortLabel: string;
  Provider: string;
  Tags: string[] | null;
}
interface Task {
  Name: string;
  Driver: string;
  Services: Service[] | null;
}
interface TaskGroup {
  Name: string;
  Count: number;
  Tasks: Task[];
  Services: Service[] | null;
  Update: { MaxParallel: number } | null;
}
export interface Job {
  ID: string;
  Namespace: string;
  Type: string;
  Status: string;
  Version: number;
  Stable: boolean;
  Stop: boolean;
  SubmitTime: number;
  Datacenters: string[];
  TaskGroups: TaskGroup[];
  Update: { MaxParallel: number } | null;
  Periodic: { Enabled: boolean; Spec: string; Specs?: string[]; TimeZone: string } | null;
  ParameterizedJob: {
    Payload: string;
    MetaRequired: string[] | null;
    MetaOptional: string[] | null;
  } | null;
}
export interface AllocStub {
  ID: string;
  Name: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  JobVersion: number;
  TaskGroup: string;
  ClientStatus: string;
  DesiredStatus: string;
  CreateTime: number;
  ModifyTime: number;
  DeploymentStatus?: { Healthy: boolean | null; Canary: boolean } | null;
}

const TABS = ['overview', 'versions', 'allocations', 'definition', 'services'];

export function JobPage({ id }: { id: string }): JSX.Element {
  const { query } = useLocation();
  const namespace = query.get('namespace') ?? 'default';
  const tab = query.get('tab') ?? 'overview';
  const job = useWatch<Job>(jobApi(id, namespace));
  return (
    <>
      <h1>
        <span class="muted">Job</span> {id}
      </h1>
      <Tabs
        tabs={TABS}
        current={tab}
        hrefOf={(t) => jobHref(id, namespace, t === 'overview' ? undefined : t)}
      />
      <Loaded w={job}>
        {(j) =>
          tab === 'versions' ? (
            <Versions job={j} />
          ) : tab === 'allocations' ? (
            <Allocations job={j} />
          ) : tab === 'definition' ? (
            <Definition job={j} />
          ) : tab === 'services' ? (
            <Services job={j} />
          ) : (
            <Overview job={j} />
          )
        }
      </Loaded>
    </>
  );
}

function Overview({ job }: { job: Job }): JSX.Element {
  const who = useWho();
  const summary = useWatch<{ Summary: Record<string, GroupSummary> }>(
    jobApi(job.ID, job.Namespace, '/summary'),
  );
  const deployment = useWatch<Deployment | null>(jobApi(job.ID, job.Namespace, '/deployment'));
  const maxParallel = (group: string): number =>
    job.TaskGroups.find((g) => g.Name === group)?.Update?.MaxParallel ??
    job.Update?.MaxParallel ??
    1;
  const stub = summary.data
    ? ({ ...job, JobSummary: summary.data } as unknown as JobStub)
    : undefined;
  return (
    <>
      <Section title="Summary">
        <KV
          rows={[
            ['Status', <Badge status={stub ? jobStatus(stub) : job.Status} />],
            ['Type', job.Type],
            ['Namespace', job.Namespace],
            ['Version', `${job.Version}${job.Stable ? ' (stable)' : ''}`],
            ['Submitted', `${stamp(job.SubmitTime)} (${relative(job.SubmitTime)})`],
            ['Datacenters', job.Datacenters.join(', ')],
            ['Allocations', stub ? <AllocBar counts={allocCounts(stub)} /> : ''],
          ]}
        />
        <Loaded w={summary}>
          {(s) => (
            <Table
              label="Task groups"
              head={['Group', 'Queued', 'Starting', 'Running', 'Complete', 'Failed', 'Lost']}
              rows={Object.entries(s.Summary)}
              empty="No task groups."
              row={([g, c]) => (
                <tr key={g}>
                  <td>{g}</td>
                  <td>{c.Queued}</td>
                  <td>{c.Starting}</td>
                  <td>{c.Running}</td>
                  <td>{c.Complete}</td>
                  <td>{c.Failed}</td>
                  <td>{c.Lost}</td>
                </tr>
              )}
            />
          )}
        </Loaded>
        <p class="actions">
          {may(who, 'alloc-lifecycle', job.Namespace) && !job.Stop && (
            <>
              <ActButton
                label="Restart all allocations"
                confirm
                act={async () => {
                  await post(`/v1/drover/job/${seg(job.ID)}/restart?namespace=${job.Namespace}`, {
                    FailedOnly: false,
                  });
                  return 'restarting';
                }}
              />
              <ActButton
                label="Restart failed allocations"
                act={async () => {
                  await post(`/v1/drover/job/${seg(job.ID)}/restart?namespace=${job.Namespace}`, {
                    FailedOnly: true,
                  });
                  return 'restarting';
                }}
              />
            </>
          )}
          {may(who, 'submit-job', job.Namespace) && !job.Stop && (
            <ActButton
              label="Stop job"
              danger
              confirm
              act={async () => {
                await del(jobApi(job.ID, job.Namespace));
                return 'stopped';
              }}
            />
          )}
        </p>
      </Section>
      <Loaded w={deployment}>
        {(d) => (d ? <DeploymentView d={d} maxParallel={maxParallel} /> : <></>)}
      </Loaded>
      {job.Periodic && <Periodic job={job} />}
      {job.ParameterizedJob && <Dispatch job={job} />}
      {(job.Periodic || job.ParameterizedJob) && <Children job={job} />}
    </>
  );
}

function Periodic({ job }: { job: Job }): JSX.Element {
  const who = useWho();
  const p = job.Periodic!;
  const specs = p.Specs?.length ? p.Specs : [p.Spec];
  const next = nextLaunch(
    { crons: specs, time_zone: p.TimeZone || 'UTC', enabled: p.Enabled },
    new Date(),
  );
  return (
    <Section title="Periodic">
      <KV
        rows={[
          ['Cron', specs.join(', ')],
          ['Time zone', p.TimeZone || 'UTC'],
          [
            'Next launch',
            next ? `${stamp(next.toISOString())} (${relative(next.toISOString())})` : 'none',
          ],
        ]}
      />
      {may(who, 'dispatch-job', job.Namespace) && (
        <ActButton
          label="Launch now"
          act={async () => {
            const r = await post<{ EvalID: string }>(
              jobApi(job.ID, job.Namespace, '/periodic/force'),
            );
            return `launched (${r.EvalID.slice(0, 8)})`;
          }}
        />
      )}
    </Section>
  );
}

function Dispatch({ job }: { job: Job }): JSX.Element {
  const who = useWho();
  const p = job.ParameterizedJob!;
  const keys = [...(p.MetaRequired ?? []), ...(p.MetaOptional ?? [])];
  const [meta, setMeta] = useState<Record<string, string>>({});
  const [payload, setPayload] = useState('');
  if (!may(who, 'dispatch-job', job.Namespace))
    return (
      <Section title="Dispatch">
        <p class="muted">This token may not dispatch this job.</p>
      </Section>
    );
  return (
    <Section title="Dispatch">
      <form class="stack" onSubmit={(e) => e.preventDefault()}>
        {keys.map((k) => (
          <TextInput
            key={k}
            label={`${k}${p.MetaRequired?.includes(k) ? ' (required)' : ''}`}
            value={meta[k] ?? ''}
            onInput={(v) => setMeta({ ...meta, [k]: v })}
          />
        ))}
        {p.Payload !== 'forbidden' && (
          <label class="field">
            <span>Payload{p.Payload === 'required' ? ' (required)' : ''}</span>
            <textarea rows={4} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
          </label>
        )}
        <ActButton
          label="Dispatch"
          act={async () => {
            const body = {
              Meta: Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== '')),
              Payload: payload ? btoa(unescape(encodeURIComponent(payload))) : undefined,
            };
            const r = await post<{ DispatchedJobID: string }>(
              jobApi(job.ID, job.Namespace, '/dispatch'),
              body,
            );
            navigate(jobHref(r.DispatchedJobID, job.Namespace));
          }}
        />
      </form>
    </Section>
  );
}

function Children({ job }: { job: Job }): JSX.Element {
  const jobs = useWatch<JobStub[]>(
    withQuery('/v1/jobs', { namespace: job.Namespace, prefix: `${job.ID}/` }),
  );
  return (
    <Section title="Launched jobs">
      <Loaded w={jobs}>
        {(all) => (
          <Table
            label="Launched jobs"
            head={['Job', 'Status', 'Allocations', 'Submitted']}
            rows={sortNewest(all.filter((j) => j.ParentID === job.ID))}
            empty="None launched yet."
            row={(j) => (
              <tr key={j.ID}>
                <td>
                  <Link to={jobHref(j.ID, j.Namespace)}>{j.ID}</Link>
                </td>
                <td>
                  <Badge status={jobStatus(j)} />
                </td>
                <td>
                  <AllocBar counts={allocCounts(j)} />
                </td>
                <td>{relative(j.SubmitTime)}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </Section>
  );
}

const sortNewest = (jobs: JobStub[]): JobStub[] =>
  [...jobs].sort((a, b) => b.SubmitTime - a.SubmitTime);

interface Versions {
  Versions: Job[];
}

function Versions({ job }: { job: Job }): JSX.Element {
  const who = useWho();
  const { query } = useLocation();
  const versions = useWatch<Versions>(jobApi(job.ID, job.Namespace, '/versions'));
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  return (
    <Loaded w={versions}>
      {(v) => {
        const all = [...v.Versions].sort((a, b) => b.Version - a.Version);
        const numbers = all.map((x) => String(x.Version));
        const a = from || numbers[1] || numbers[0] || '';
        const b = to || numbers[0] || '';
        return (
          <>
            <Section title="Versions">
              {who.ApproveRequired > 0 && (
                <p class="muted">
                  This server requires approvals: a revert is saved as a plan, which applies once
                  approved.
                </p>
              )}
              <Table
                label="Versions"
                head={['Version', 'Stable', 'Submitted', '']}
                rows={all}
                empty="No versions."
                row={(x) => (
                  <tr key={x.Version} data-version={x.Version}>
                    <td>
                      {x.Version}
                      {x.Version === job.Version && <span class="tag">current</span>}
                    </td>
                    <td>{x.Stable ? 'yes' : 'no'}</td>
                    <td>{stamp(x.SubmitTime)}</td>
                    <td>
                      {x.Version !== job.Version && may(who, 'submit-job', job.Namespace) && (
                        <RevertButton
                          job={job}
                          version={x.Version}
                          review={who.ApproveRequired > 0}
                        />
                      )}
                    </td>
                  </tr>
                )}
              />
            </Section>
            <Section title="Diff">
              <div class="filters">
                <Select
                  label="From version"
                  any="–"
                  value={a}
                  options={numbers}
                  onChange={(x) => setQuery({ from: x })}
                />
                <Select
                  label="To version"
                  any="–"
                  value={b}
                  options={numbers}
                  onChange={(x) => setQuery({ to: x })}
                />
              </div>
              {a && b ? (
                <SourceDiff job={job} from={Number(a)} to={Number(b)} />
              ) : (
                <p class="muted">Only one version.</p>
              )}
            </Section>
          </>
        );
      }}
    </Loaded>
  );
}

/**
 * Revert to `version`: at once, or where the server requires approvals (which it enforces on
 * every write), as a plan saved for review, whose page it opens.
 */
function RevertButton(props: { job: Job; version: number; review: boolean }): JSX.Element {
  const { job, version } = props;
  const target = { JobID: job.ID, JobVersion: version };
  if (!props.review)
    return (
      <ActButton
        label={`Revert to ${version}`}
        confirm
        act={async () => {
          await post(jobApi(job.ID, job.Namespace, '/revert'), target);
          return 'reverted';
        }}
      />
    );
  return (
    <ActButton
      label={`Plan revert to ${version}`}
      act={async () => {
        const plan = await post<{ Hash: string }>(
          withQuery('/v1/drover/plans', { namespace: job.Namespace }),
          { Revert: target, Source: 'ui' },
        );
        navigate(planHref(plan.Hash));
      }}
    />
  );
}

interface Submission {
  Source: string;
  Format: string;
  Version: number;
}

/** The submitted sources of two versions, line by line. */
function SourceDiff(props: { job: Job; from: number; to: number }): JSX.Element {
  const { job } = props;
  const [texts, setTexts] = useState<[string, string] | string>();
  useEffect(() => {
    const src = (v: number): Promise<string> =>
      get<Submission>(withQuery(jobApi(job.ID, job.Namespace, '/submission'), { version: v })).then(
        (s) => s.data.Source,
      );
    Promise.all([src(props.from), src(props.to)]).then(
      (t) => setTexts(t),
      (e: unknown) => setTexts(String(e)),
    );
  }, [job.ID, job.Namespace, props.from, props.to]);
  if (texts === undefined) return <p class="muted">Loading…</p>;
  if (typeof texts === 'string') return <p class="error">{texts}</p>;
  const lines = lineDiff(texts[0], texts[1]);
  if (lines.every((l) => l.op === ' '))
    return <p class="muted">The two versions' sources are the same.</p>;
  return (
    <pre
      class="code diff"
      tabIndex={0}
      aria-label={`diff of versions ${props.from} and ${props.to}`}
    >
      {foldUnchanged(lines).map((l, i) => (
        <span
          key={i}
          class={l.op === '+' ? 'add' : l.op === '-' ? 'del' : l.op === '…' ? 'fold' : ''}
        >
          {l.op} {l.text}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function Allocations({ job }: { job: Job }): JSX.Element {
  const { query } = useLocation();
  const allocs = useWatch<AllocStub[]>(jobApi(job.ID, job.Namespace, '/allocations'));
  const status = query.get('astatus') ?? '';
  const version = query.get('aversion') ?? '';
  const text = (query.get('aq') ?? '').toLowerCase();
  return (
    <Section title="Allocations">
      <Loaded w={allocs}>
        {(all) => {
          const shown = all
            .filter(
              (a) =>
                (!status || a.ClientStatus === status) &&
                (!version || String(a.JobVersion) === version) &&
                (!text || `${a.ID} ${a.Name} ${a.NodeName}`.toLowerCase().includes(text)),
            )
            .sort((a, b) => b.CreateTime - a.CreateTime);
          return (
            <>
              <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
                <TextInput
                  label="Search"
                  value={query.get('aq') ?? ''}
                  onInput={(v) => setQuery({ aq: v })}
                />
                <Select
                  label="Status"
                  value={status}
                  options={[...new Set(all.map((a) => a.ClientStatus))].sort()}
                  onChange={(v) => setQuery({ astatus: v })}
                />
                <Select
                  label="Version"
                  value={version}
                  options={[...new Set(all.map((a) => String(a.JobVersion)))].sort()}
                  onChange={(v) => setQuery({ aversion: v })}
                />
              </form>
              <AllocTable allocs={shown} />
            </>
          );
        }}
      </Loaded>
    </Section>
  );
}

export function AllocTable({ allocs }: { allocs: AllocStub[] }): JSX.Element {
  return (
    <Table
      label="Allocations"
      head={['Allocation', 'Name', 'Node', 'Version', 'Status', 'Health', 'Created']}
      rows={allocs}
      empty="No allocation matches."
      row={(a) => (
        <tr key={a.ID} data-alloc={a.ID}>
          <td>
            <Link to={allocHref(a.ID)} class="mono">
              {a.ID.slice(0, 8)}
            </Link>
          </td>
          <td>{a.Name}</td>
          <td>
            <Link to={nodeHref(a.NodeID)}>{a.NodeName}</Link>
          </td>
          <td>{a.JobVersion}</td>
          <td>
            <Badge status={a.ClientStatus} />
          </td>
          <td>
            {a.DeploymentStatus?.Healthy === true
              ? 'healthy'
              : a.DeploymentStatus?.Healthy === false
                ? 'unhealthy'
                : ''}
            {a.DeploymentStatus?.Canary ? ' (canary)' : ''}
          </td>
          <td>{relative(a.CreateTime)}</td>
        </tr>
      )}
    />
  );
}

function Definition({ job }: { job: Job }): JSX.Element {
  const sub = useWatch<Submission>(jobApi(job.ID, job.Namespace, '/submission'));
  return (
    <Section title={`Definition (version ${job.Version})`}>
      <Loaded w={sub}>{(s) => <Pre text={s.Source} label="job definition" />}</Loaded>
    </Section>
  );
}

interface Registration {
  ID: string;
  ServiceName: string;
  AllocID: string;
  NodeID: string;
  Address: string;
  Port: number;
  Tags: string[] | null;
  JobID: string;
}

function Services({ job }: { job: Job }): JSX.Element {
  const services = job.TaskGroups.flatMap((g) => [
    ...(g.Services ?? []).map((s) => ({ group: g.Name, task: '', s })),
    ...g.Tasks.flatMap((t) => (t.Services ?? []).map((s) => ({ group: g.Name, task: t.Name, s }))),
  ]);
  return (
    <Section title="Services">
      {services.length === 0 && <p class="muted">This job declares no service.</p>}
      {services.map(({ group, task, s }) => (
        <ServiceView
          key={`${group}/${task}/${s.Name}`}
          job={job}
          group={group}
          task={task}
          service={s}
        />
      ))}
    </Section>
  );
}

function ServiceView(props: {
  job: Job;
  group: string;
  task: string;
  service: Service;
}): JSX.Element {
  const { job, service } = props;
  const regs = useWatch<Registration[]>(
    withQuery(`/v1/service/${seg(service.Name)}`, { namespace: job.Namespace }),
  );
  return (
    <div class="service">
      <h3>
        {service.Name}{' '}
        <span class="muted">
          {props.group}
          {props.task ? `/${props.task}` : ''} · port {service.PortLabel || '–'} ·{' '}
          {service.Provider}
        </span>
      </h3>
      <Loaded w={regs}>
        {(all) => (
          <Table
            label={`${service.Name} registrations`}
            head={['Allocation', 'Address', 'Tags']}
            rows={all.filter((r) => r.JobID === job.ID)}
            empty="No registration."
            row={(r) => (
              <tr key={r.ID}>
                <td>
                  <Link to={allocHref(r.AllocID)} class="mono">
                    {r.AllocID.slice(0, 8)}
                  </Link>
                </td>
                <td class="mono">
                  {r.Address}:{r.Port}
                </td>
                <td>{(r.Tags ?? []).join(', ')}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </div>
  );
}
