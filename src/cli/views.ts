/** Human views shared by the commands that plan and apply. */
import type { Plan } from '../generated/plan.js';
import type { ProgressEvent } from '../deploy/apply.js';
import type { Drift } from '../deploy/refresh.js';
import { renderPlanText } from '../plan/render-text.js';
import type { Output } from './output.js';
import type { Observed } from '../ops/index.js';

export function printObserved(o: Output, observed: Observed): void {
  // Nodes that did not answer are warnings of the plan itself (text and JSON).
  if (observed.drift.length === 0) return;
  o.out(o.style.bold('Changes outside drover since the last apply:'));
  for (const d of observed.drift) o.out(`  ~ ${driftLine(d)}`);
  o.out('');
}

export function driftLine(d: Drift): string {
  return `${d.name} (${d.allocId.slice(0, 8)}) on ${d.node}: ${d.from} → ${d.to}: ${d.reason}`;
}

export function printPlan(o: Output, plan: Plan, verbose = false): void {
  o.out(renderPlanText(plan, { color: o.style, verbose }));
}

/** Asks for approval; only "yes" proceeds. Without a terminal, says how to approve instead. */
export async function approve(o: Output, question: string): Promise<boolean | 'no-tty'> {
  if (!process.stdin.isTTY) return 'no-tty';
  // Loaded only when a person is asked: applies with -auto-approve and CI never need it.
  const { default: enquirer } = await import('enquirer');
  const { answer } = await enquirer.prompt<{ answer: string }>({
    type: 'input',
    name: 'answer',
    message: `${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value:`,
  });
  o.out('');
  return answer.trim() === 'yes';
}

/**
 * Progress of an apply, one line per allocation event. On a terminal the lines of running
 * allocations are redrawn in place, so each allocation shows its latest state.
 */
export class ProgressView {
  private readonly rows = new Map<string, string>();
  private drawn = 0;
  /** Whether the events now come from an auto-revert, whose failures the summary does not list. */
  private reverting = false;

  constructor(private readonly o: Output) {}

  readonly onEvent = (ev: ProgressEvent): void => {
    if (this.o.json) return;
    if (ev.kind === 'job') this.reverting = ev.status === 'reverting';
    const detail = this.saysWhy(ev) && ev.detail ? ` (${ev.detail})` : '';
    const line =
      ev.kind === 'alloc'
        ? `  ${ev.name} (${ev.alloc.slice(0, 8)}) on ${ev.node}: ${this.colour(ev.status)}${detail}`
        : `${ev.job}: ${this.colour(ev.status)}${detail}`;
    if (!this.o.stdoutIsTTY || ev.kind === 'job') {
      this.o.out(line);
      return;
    }
    this.rows.set(ev.alloc, line);
    // Move up over what was drawn, then draw every row again.
    let text = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const row of this.rows.values()) text += `\x1b[2K${row}\n`;
    process.stdout.write(text);
    this.drawn = this.rows.size;
  };

  /** Forgets the drawn rows so later output starts below them. */
  done(): void {
    this.rows.clear();
    this.drawn = 0;
  }

  /**
   * Why a deployment failed is said once, by the apply's summary (`error: …` per allocation);
   * here the allocation only turns unhealthy or failed. A rollback's failures are not in that
   * summary, so they keep their reason here.
   */
  private saysWhy(ev: ProgressEvent): boolean {
    if (ev.kind === 'job') return ev.status !== 'failed';
    return this.reverting || (ev.status !== 'unhealthy' && ev.status !== 'failed');
  }

  private colour(status: string): string {
    if (status === 'failed' || status === 'unhealthy' || status === 'stop-failed')
      return this.o.style.error(status);
    if (status === 'healthy' || status === 'done') return this.o.style.bold(status);
    return status;
  }
}
