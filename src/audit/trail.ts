/**
 * `drover audit`: which records to show, and how they read. Oldest first, newest last, like a
 * log read to its end: the latest operation is the line next to the prompt, and `-limit N`
 * keeps the newest N. Pure.
 */
import { plainStyler, type Styler } from '../diag/render.js';
import type { AuditHook, AuditRecord } from '../state/types.js';

export interface AuditQuery {
  /** Only operations that changed this job. */
  job?: string;
  /** Only operations that started at or after this time. */
  since?: Date;
  /** Only the newest N. */
  limit?: number;
}

export function selectAudit(trail: readonly AuditRecord[], q: AuditQuery): AuditRecord[] {
  const since = q.since?.getTime();
  const picked = trail.filter(
    (r) =>
      (q.job === undefined || r.jobs.some((j) => j.id === q.job)) &&
      (since === undefined || Date.parse(r.time) >= since),
  );
  return q.limit === undefined ? picked : picked.slice(Math.max(0, picked.length - q.limit));
}

/** One line per operation, then its details indented under it. */
export function renderAuditText(
  records: readonly AuditRecord[],
  style: Styler = plainStyler,
): string {
  return records.map((r) => [headline(r, style), ...details(r)].join('\n')).join('\n');
}

function headline(r: AuditRecord, style: Styler): string {
  const result =
    r.result === 'ok'
      ? 'ok'
      : r.result === 'reverted'
        ? style.warning('reverted')
        : style.error(r.result);
  const git = r.git_commit
    ? `  git ${r.git_commit.slice(0, 12)}${r.git_branch ? ` (${r.git_branch})` : ''}`
    : '';
  return (
    `${style.bold(`#${r.seq}`)}  ${r.time}  ${r.actor}  ${style.bold(r.operation)}  ` +
    `${result} (exit ${r.exit_code}, ${seconds(r.duration_ms)})` +
    (r.plan_hash ? `  plan ${shortHash(r.plan_hash)}` : '') +
    git
  );
}

function details(r: AuditRecord): string[] {
  const out = r.jobs.map((j) => {
    const from = j.from_version ?? '-';
    const to = j.to_version ?? '-';
    const how = [
      j.change,
      j.result,
      j.reverted_to !== undefined ? `reverted to version ${j.reverted_to}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `    ${j.id}: version ${from} → ${to}${how ? ` (${how})` : ''}`;
  });
  if (r.git_author) out.push(`    git author: ${r.git_author}`);
  if (r.message) out.push(`    message: ${r.message}`);
  if (r.approvals?.length)
    out.push(
      `    approved by ${r.approvals.map((a) => `${a.approver}${a.git_author ? ` (${a.git_author})` : ''} at ${a.time}`).join(', ')}`,
    );
  if (r.detail) out.push(`    ${r.detail}`);
  if (r.error) out.push(`    error: ${r.error}`);
  for (const h of r.hooks ?? []) out.push(`    hook ${h.name}: ${hookLine(h)}`);
  return out;
}

/** `failed (exit 3, 1.2s)`: how a hook ended; its output is in `-json`. */
function hookLine(h: AuditHook): string {
  const facts = [
    typeof h.exit_code === 'number' ? `exit ${h.exit_code}` : (h.error ?? ''),
    typeof h.duration_ms === 'number' ? seconds(h.duration_ms) : '',
  ].filter(Boolean);
  return `${h.result}${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

/** `sha256:` and the first 12 hex digits, as a short commit id reads. */
function shortHash(hash: string): string {
  const [algo, hex] = hash.includes(':') ? hash.split(':', 2) : ['', hash];
  return `${algo ? `${algo}:` : ''}${hex!.slice(0, 12)}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}
