/** `drover audit [JOB]`: who did what, when, from which commit, and how it ended. */
import type { Command } from 'commander';
import { parseSince } from '../../audit/since.js';
import { renderAuditText, selectAudit, type AuditQuery } from '../../audit/trail.js';
import { auditTrail } from '../../state/audit.js';
import { printJson, type Output } from '../output.js';
import { UserError, withSession } from '../with-session.js';
import type { AuditRecord } from '../../state/types.js';
import { remoteTarget, runRemote } from '../remote/connection.js';
import { remoteAuditTrail } from '../remote/audit.js';

interface AuditOptions {
  config?: string;
  json?: boolean;
  since?: string;
  limit?: string;
}

export function registerAudit(program: Command, io: (json: boolean) => Output): void {
  program
    .command('audit')
    .description(
      'show the audit trail: every operation with who ran it, when, the plan hash, git commit and branch, message, jobs and versions changed, and the result (oldest first, newest last)',
    )
    .argument('[job]', 'only operations that changed this job')
    .option('--since <time>', 'only operations since an RFC 3339 time or a duration ago (24h, 7d)')
    .option('--limit <n>', 'only the newest N operations')
    .option('--config <file>', 'the drover.hcl to use')
    .option('--json', 'print machine-readable JSON')
    .action(async (job: string | undefined, opts: AuditOptions, cmd: Command) => {
      const o = io(Boolean(opts.json));
      const remote = remoteTarget(cmd);
      if (remote)
        return runRemote(o, remote, async (api) => {
          const query = auditQuery(job, opts, new Date());
          printAudit(o, selectAudit(await remoteAuditTrail(api), query));
        });
      await withSession(o, opts, async (session) => {
        const query = auditQuery(job, opts, new Date());
        printAudit(o, selectAudit(auditTrail(await session.store.read()), query));
        process.exitCode = 0;
      });
    });
}

function printAudit(o: Output, records: AuditRecord[]): void {
  if (o.json) printJson(o, { records });
  else if (records.length === 0) o.out('No operations recorded.');
  else o.out(renderAuditText(records, o.style));
}

function auditQuery(job: string | undefined, opts: AuditOptions, now: Date): AuditQuery {
  const q: AuditQuery = job === undefined ? {} : { job };
  if (opts.since !== undefined) {
    const since = parseSince(opts.since, now);
    if (!since.ok) throw new UserError(since.error);
    q.since = since.since;
  }
  if (opts.limit !== undefined) {
    if (!/^\d+$/.test(opts.limit) || Number(opts.limit) === 0)
      throw new UserError(`-limit must be a whole number ≥ 1, got "${opts.limit}"`);
    q.limit = Number(opts.limit);
  }
  return q;
}
