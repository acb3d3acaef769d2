/**
 * `plan -out F` records the planfile in state as well (ops/saved-plans), so that the plans CI
 * saves appear in the web UI for review. The file is what counts: when the state cannot take the
 * record (the lock held by a long apply, say), the command warns and goes on.
 */
import { currentIdentity } from '../audit/identity.js';
import type { Plan } from '../generated/plan.js';
import { recordSavedPlan } from '../ops/index.js';
import { auditRecordNow } from './audit-trail.js';
import type { Output } from './output.js';
import type { Session } from './session.js';

/** How long `plan -out` waits for the state lock to record the plan. */
const RECORD_LOCK_TIMEOUT_MS = 10_000;

export async function recordPlanfile(
  o: Output,
  session: Session,
  saved: Plan,
  planfile: string,
  locked: boolean,
): Promise<void> {
  const started = new Date();
  try {
    await recordSavedPlan(session, {
      saved: {
        plan: saved,
        created_by: saved.author?.actor ?? currentIdentity().actor,
        created_at: started.toISOString(),
        source: 'cli',
      },
      audit: {
        ...auditRecordNow('plan', started, 0, {
          detail: `saved the plan for review (plan -out ${planfile})`,
        }),
        plan_hash: saved.hash,
      },
      lockTimeoutMs: RECORD_LOCK_TIMEOUT_MS,
      locked,
    });
  } catch (err) {
    o.err(
      `${o.errStyle.warning('warning')}: the plan was saved to ${planfile} but not recorded in the state for review (${(err as Error).message}); it does not appear in drover server's plans.`,
    );
  }
}
