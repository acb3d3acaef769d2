/**
 * Run a job: paste HCL, see the plan, submit. The plan is saved on the server as a pending plan
 * (`POST /v1/drover/plans`), so it goes through the same approvals as the CLI's; it applies
 * from here when no approval is required.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { post } from '../api';
import { Link } from '../components';
import { useAction } from '../hooks';
import { useWho } from '../perms';
import { planHref } from './links';
import { PlanPage, type PlanDetail } from './plans';

export function RunPage(): JSX.Element {
  const who = useWho();
  const [hcl, setHcl] = useState('');
  const [vars, setVars] = useState('');
  const [plan, setPlan] = useState<PlanDetail>();
  const planIt = useAction(async () => {
    setPlan(undefined);
    setPlan(
      await post<PlanDetail>('/v1/drover/plans', { JobHCL: hcl, Variables: vars, Source: 'ui' }),
    );
    return 'planned';
  });
  if (!who.Management && !Object.values(who.Namespaces).some((c) => c.includes('submit-job')))
    return (
      <>
        <h1>Run a job</h1>
        <p class="muted">This token may not submit jobs.</p>
      </>
    );
  return (
    <>
      <h1>Run a job</h1>
      <form class="stack" onSubmit={(e) => (e.preventDefault(), planIt.run())}>
        <label class="field">
          <span>Job (HCL)</span>
          <textarea
            name="hcl"
            class="code"
            rows={16}
            spellcheck={false}
            required
            value={hcl}
            onInput={(e) => setHcl(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Variables (k=v, one a line)</span>
          <textarea
            name="vars"
            rows={3}
            spellcheck={false}
            value={vars}
            onInput={(e) => setVars(e.currentTarget.value)}
          />
        </label>
        <p class="actions">
          <button type="submit" disabled={planIt.busy || !hcl.trim()}>
            {planIt.busy ? 'Planning…' : 'Plan'}
          </button>
          {planIt.error && (
            <span class="error" role="alert">
              {planIt.error}
            </span>
          )}
        </p>
      </form>
      {plan && (
        <>
          <p>
            Saved as plan <Link to={planHref(plan.Hash)}>{plan.Hash}</Link>.
          </p>
          <PlanPage hash={plan.Hash} />
        </>
      )}
    </>
  );
}
