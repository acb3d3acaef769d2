/**
 * Saved plans waiting for approval (from `drover plan -out`, CI, or the run page): the list, and
 * one plan rendered as the CLI renders it, with its hash, approvals, approve / reject with a
 * message, and apply once approved.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { post, seg } from '../api';
import { ActButton, Badge, KV, Link, Loaded, Pre, Section, Select, Table } from '../components';
import { useWatch } from '../hooks';
import { relative, stamp } from '../model';
import { may, useWho, type WhoAmI } from '../perms';
import { setQuery, useLocation } from '../router';
import { jobHref, planHref } from './links';

interface Verdict {
  By: string;
  At: string;
  Message: string;
}
export interface PlanSummary {
  Hash: string;
  Jobs: { Namespace: string; ID: string }[];
  CreatedBy: string;
  CreatedAt: string;
  Source: string;
  Status: string;
  Required: number;
  Approvals: Verdict[];
  Rejections: Verdict[];
}
export interface PlanDetail extends PlanSummary {
  Text: string;
}

const STATUSES = ['pending', 'approved', 'rejected', 'applied', 'stale'];

export function PlansPage(): JSX.Element {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const plans = useWatch<PlanSummary[]>('/v1/drover/plans?namespace=*');
  return (
    <>
      <h1>Plans</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Select
          label="Status"
          value={status}
          options={STATUSES}
          onChange={(v) => setQuery({ status: v })}
        />
      </form>
      <Loaded w={plans}>
        {(all) => (
          <Table
            label="Plans"
            head={['Plan', 'Jobs', 'Status', 'Approvals', 'By', 'Created']}
            rows={all.filter((p) => !status || p.Status === status)}
            empty={
              all.length
                ? 'No plan matches.'
                : 'No saved plans: drover plan -out FILE saves one for review, as does the Run job page.'
            }
            row={(p) => (
              <tr key={p.Hash} data-plan={p.Hash}>
                <td>
                  <Link to={planHref(p.Hash)} class="mono">
                    {shortHash(p.Hash)}
                  </Link>
                </td>
                <td>{p.Jobs.map((j) => j.ID).join(', ')}</td>
                <td>
                  <Badge status={p.Status} />
                </td>
                <td>
                  {p.Approvals.length}/{p.Required}
                </td>
                <td>
                  {p.CreatedBy} <span class="muted">({p.Source})</span>
                </td>
                <td>{relative(p.CreatedAt)}</td>
              </tr>
            )}
          />
        )}
      </Loaded>
    </>
  );
}

export const shortHash = (h: string): string => h.replace(/^sha256:/, '').slice(0, 12);

/** Whether the token may act on every namespace the plan touches. */
const mayAll = (who: WhoAmI, p: PlanSummary): boolean =>
  p.Jobs.every((j) => may(who, 'submit-job', j.Namespace));

export function PlanPage({ hash }: { hash: string }): JSX.Element {
  const plan = useWatch<PlanDetail>(`/v1/drover/plan/${seg(hash)}`);
  return (
    <>
      <h1>
        <span class="muted">Plan</span> <span class="mono">{shortHash(hash)}</span>
      </h1>
      <Loaded w={plan}>{(p) => <PlanView p={p} />}</Loaded>
    </>
  );
}

export function PlanView({ p }: { p: PlanDetail }): JSX.Element {
  const who = useWho();
  const [message, setMessage] = useState('');
  // What Apply answered: kept here, as the button goes once the plan shows as applied.
  const [started, setStarted] = useState<string>();
  const mine = p.Approvals.some((a) => a.By === who.Actor);
  const enough = p.Approvals.length >= p.Required;
  const acts = mayAll(who, p);
  const verdict = (kind: 'approve' | 'reject') => async (): Promise<string> => {
    await post(`/v1/drover/plan/${seg(p.Hash)}/${kind}`, { Message: message });
    setMessage('');
    return kind === 'approve' ? 'approved' : 'rejected';
  };
  return (
    <>
      <Section title="Summary">
        <KV
          rows={[
            [
              'Hash',
              <span class="mono" data-testid="plan-hash">
                {p.Hash}
              </span>,
            ],
            ['Status', <Badge status={p.Status} />],
            [
              'Jobs',
              <>
                {p.Jobs.map((j) => (
                  <Link key={`${j.Namespace}/${j.ID}`} to={jobHref(j.ID, j.Namespace)}>
                    {j.ID}{' '}
                  </Link>
                ))}
              </>,
            ],
            [
              'Approvals',
              <span data-testid="approvals">{`${p.Approvals.length} of ${p.Required} required`}</span>,
            ],
            ['Created', `${stamp(p.CreatedAt)} by ${p.CreatedBy} (${p.Source})`],
          ]}
        />
        <Table
          label="Approvals and rejections"
          head={['Verdict', 'By', 'At', 'Message']}
          rows={[
            ...p.Approvals.map((v) => ({ ...v, kind: 'approved' })),
            ...p.Rejections.map((v) => ({ ...v, kind: 'rejected' })),
          ]}
          empty="Nobody has approved or rejected this plan yet."
          row={(v) => (
            <tr key={`${v.kind}/${v.By}/${v.At}`}>
              <td>
                <Badge status={v.kind} />
              </td>
              <td>{v.By}</td>
              <td>{stamp(v.At)}</td>
              <td>{v.Message}</td>
            </tr>
          )}
        />
        {/* An approved plan may still be rejected, until it is applied. */}
        {acts && (p.Status === 'pending' || p.Status === 'approved') && (
          <form class="stack" onSubmit={(e) => e.preventDefault()}>
            <label class="field">
              <span>Message</span>
              <textarea
                rows={2}
                value={message}
                onInput={(e) => setMessage(e.currentTarget.value)}
              />
            </label>
            <p class="actions">
              {!mine && p.Status === 'pending' && (
                <ActButton label="Approve" act={verdict('approve')} />
              )}
              <ActButton label="Reject" danger act={verdict('reject')} />
            </p>
          </form>
        )}
        {acts && (p.Status === 'approved' || (p.Status === 'pending' && enough)) && (
          <p class="actions">
            <ActButton
              label="Apply"
              confirm
              act={async () => {
                const r = await post<{ DeploymentIDs: string[] }>(
                  `/v1/drover/plan/${seg(p.Hash)}/apply`,
                );
                const ids = r.DeploymentIDs.map((d) => d.slice(0, 8)).join(', ');
                setStarted(`Applying${ids ? ` (deployment ${ids})` : ''}.`);
                return 'applying';
              }}
            />
          </p>
        )}
        {(started || p.Status === 'applied') && (
          <p class="ok" role="status" data-testid="applied">
            {started ?? 'Applied.'} Follow the rollout on the job page:{' '}
            {p.Jobs.map((j) => (
              <Link key={`${j.Namespace}/${j.ID}`} to={jobHref(j.ID, j.Namespace)}>
                {j.ID}{' '}
              </Link>
            ))}
          </p>
        )}
      </Section>
      <Section title="Plan">
        <Pre text={p.Text} label="plan text" />
      </Section>
    </>
  );
}
