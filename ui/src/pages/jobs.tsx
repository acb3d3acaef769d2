/** Jobs: every job with its type, namespace, status and allocations; filters and sort in the URL. */
import type { JSX } from 'preact';
import { AllocBar, Badge, Link, Loaded, Select, Table, TextInput } from '../components';
import { useWatch } from '../hooks';
import {
  allocCounts,
  filterJobs,
  JOB_SORTS,
  jobStatus,
  relative,
  sortJobs,
  type JobStub,
} from '../model';
import { setQuery, useLocation } from '../router';
import { jobHref } from './links';

const STATUSES = ['pending', 'running', 'dead', 'failed'];
const TYPES = ['service', 'batch', 'system', 'sysbatch'];

export function JobsPage(): JSX.Element {
  const { query } = useLocation();
  const jobs = useWatch<JobStub[]>('/v1/jobs?namespace=*');
  const f = {
    status: query.get('status') ?? '',
    type: query.get('type') ?? '',
    namespace: query.get('namespace') ?? '',
    text: query.get('q') ?? '',
  };
  const sort = query.get('sort') ?? 'name';
  return (
    <>
      <h1>Jobs</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextInput
          label="Search"
          value={f.text}
          onInput={(v) => setQuery({ q: v })}
          placeholder="job id"
        />
        <Select
          label="Status"
          value={f.status}
          options={STATUSES}
          onChange={(v) => setQuery({ status: v })}
        />
        <Select
          label="Type"
          value={f.type}
          options={TYPES}
          onChange={(v) => setQuery({ type: v })}
        />
        <Select
          label="Namespace"
          value={f.namespace}
          options={[...new Set((jobs.data ?? []).map((j) => j.Namespace))].sort()}
          onChange={(v) => setQuery({ namespace: v })}
        />
        <Select
          label="Sort"
          value={sort === 'name' ? '' : sort}
          any="name"
          options={JOB_SORTS.flatMap((s) => [s, `-${s}`]).filter((s) => s !== 'name')}
          onChange={(v) => setQuery({ sort: v === 'name' ? '' : v })}
        />
      </form>
      <Loaded w={jobs}>
        {(all) => {
          const shown = sortJobs(filterJobs(all, f), sort);
          return (
            <>
              <p class="muted" aria-live="polite">
                {shown.length} of {all.length} jobs
              </p>
              <Table
                label="Jobs"
                head={['Job', 'Type', 'Namespace', 'Status', 'Allocations', 'Submitted']}
                rows={shown}
                empty={
                  all.length
                    ? 'No job matches.'
                    : 'No jobs yet: apply one with drover apply, or paste one on the Run job page.'
                }
                row={(j) => (
                  <tr key={`${j.Namespace}/${j.ID}`} data-job={j.ID}>
                    <td>
                      <Link to={jobHref(j.ID, j.Namespace)}>{j.ID}</Link>
                      {j.Periodic && <span class="tag">periodic</span>}
                      {j.ParameterizedJob && <span class="tag">parameterized</span>}
                    </td>
                    <td>{j.Type}</td>
                    <td>{j.Namespace}</td>
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
            </>
          );
        }}
      </Loaded>
    </>
  );
}
