/** The audit trail of state: who ran what, on which jobs, with which plan, and how it ended. */
import type { JSX } from 'preact';
import { withQuery } from '../api';
import { Badge, Link, Loaded, Table, TextInput } from '../components';
import { useWatch } from '../hooks';
import { stamp } from '../model';
import { setQuery, useLocation } from '../router';
import { jobHref, planHref } from './links';
import { shortHash } from './plans';

interface AuditRecord {
  Seq: number;
  Time: string;
  Actor: string;
  Command: string;
  Jobs: { Namespace: string; ID: string; ToVersion?: number | null }[] | null;
  PlanHash: string;
  Result: string;
  ExitCode: number;
  Message: string;
}

export function AuditPage(): JSX.Element {
  const { query } = useLocation();
  const job = query.get('job') ?? '';
  const namespace = query.get('namespace') ?? '';
  const text = (query.get('q') ?? '').toLowerCase();
  const records = useWatch<AuditRecord[]>(
    withQuery('/v1/drover/audit', { job, namespace: namespace || '*' }),
  );
  return (
    <>
      <h1>Audit</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <TextInput label="Job" value={job} onInput={(v) => setQuery({ job: v })} />
        <TextInput
          label="Namespace"
          value={namespace}
          onInput={(v) => setQuery({ namespace: v })}
        />
        <TextInput
          label="Actor, command or message"
          value={query.get('q') ?? ''}
          onInput={(v) => setQuery({ q: v })}
        />
      </form>
      <Loaded w={records}>
        {(all) => (
          <Table
            label="Audit records"
            head={['#', 'Time', 'Actor', 'Command', 'Jobs', 'Plan', 'Result', 'Message']}
            rows={[...all]
              .reverse()
              .filter(
                (r) => !text || `${r.Actor} ${r.Command} ${r.Message}`.toLowerCase().includes(text),
              )}
            empty="No audit records."
            row={(r) => (
              <tr key={r.Seq} data-seq={r.Seq}>
                <td>{r.Seq}</td>
                <td>{stamp(r.Time)}</td>
                <td>{r.Actor}</td>
                <td class="mono">{r.Command}</td>
                <td>
                  {(r.Jobs ?? []).map((j) => (
                    <Link key={`${j.Namespace}/${j.ID}`} to={jobHref(j.ID, j.Namespace)}>
                      {j.ID}
                      {typeof j.ToVersion === 'number' ? ` v${j.ToVersion}` : ''}{' '}
                    </Link>
                  ))}
                </td>
                <td>
                  {r.PlanHash && (
                    <Link to={planHref(r.PlanHash)} class="mono">
                      {shortHash(r.PlanHash)}
                    </Link>
                  )}
                </td>
                <td>
                  <Badge status={r.Result} />
                </td>
                <td>{r.Message}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </>
  );
}
