/**
 * What one check's results add up to, and what an allocation's checks add up to. Pure: a
 * state and a result in, the next state out, the time passed in.
 *
 * - Thresholds follow Consul's status handler: `success_before_passing` consecutive passing
 *   (or warning) results before the status turns so, `failures_before_critical` consecutive
 *   failures before it turns critical (`failures_before_warning` before it warns); in between
 *   the status stays what it was.
 * - check_restart follows Nomad's check watcher: once the status is unhealthy (not passing, or
 *   a warning unless `ignore_warnings`) outside the `grace` after a (re)start, a restart is due
 *   when it stays so for `interval × (limit − 1)`: the `limit`-th unhealthy result in a row.
 * - An allocation's checks are healthy when every check has run and passes (a warning counts
 *   with `on_update = "ignore_warnings"`, a check with `on_update = "ignore"` not at all), as
 *   Nomad's health tracker decides; unhealthy as soon as one is critical.
 */
import type { CheckSpec, CheckStatus } from './check-spec.js';

export interface CheckResultAt {
  status: CheckStatus;
  output: string;
  /** When the result came in (ms). */
  at: number;
}

export interface CheckState {
  /** `pending` until a result (past the thresholds) sets it, unless `initial_status` is given. */
  status: CheckStatus | 'pending';
  /** The output of the result that set the status. */
  output: string;
  /** Whether a result set the status (not `initial_status`). */
  from_result: boolean;
  /** Results since the check (re)started. */
  results: number;
  /** Consecutive passing-or-warning results, and consecutive critical ones. */
  successes: number;
  failures: number;
  last?: CheckResultAt;
  /** check_restart: results before this time do not count. */
  grace_until: number;
  /** check_restart: when the status turned unhealthy (outside the grace). */
  unhealthy_since?: number;
  restart_due: boolean;
}

export type AllocCheckStatus = 'pending' | 'healthy' | 'unhealthy';

export interface AllocCheckHealth {
  status: AllocCheckStatus;
  /** A sentence: which checks hold it back, or that all pass. */
  detail: string;
}

/** A check's state right after its task (re)started at `now`. */
export function initialCheckState(spec: CheckSpec, now: number): CheckState {
  return {
    status: spec.initial_status ?? 'pending',
    output: '',
    from_result: false,
    results: 0,
    successes: 0,
    failures: 0,
    grace_until: now + (spec.check_restart?.grace_ms ?? 0),
    restart_due: false,
  };
}

/** The state after one more result. */
export function applyResult(
  spec: CheckSpec,
  state: CheckState,
  result: { status: CheckStatus; output: string },
  now: number,
): CheckState {
  const next: CheckState = {
    ...state,
    results: state.results + 1,
    last: { ...result, at: now },
  };
  if (result.status === 'critical') {
    next.failures = state.failures + 1;
    next.successes = 0;
    if (next.failures >= spec.failures_before_critical) setStatus(next, 'critical', result.output);
    else if (next.failures >= spec.failures_before_warning)
      setStatus(next, 'warning', result.output);
  } else {
    next.successes = state.successes + 1;
    next.failures = 0;
    if (next.successes >= spec.success_before_passing)
      setStatus(next, result.status, result.output);
  }
  return trackRestart(spec, next, now);
}

function setStatus(state: CheckState, status: CheckStatus, output: string): void {
  state.status = status;
  state.output = output;
  state.from_result = true;
}

/** Nomad's restarter: the unhealthy clock starts outside the grace and resets on health. */
function trackRestart(spec: CheckSpec, state: CheckState, now: number): CheckState {
  const policy = spec.check_restart;
  if (!policy || state.restart_due) return state;
  const unhealthy =
    state.status !== 'passing' && !(state.status === 'warning' && policy.ignore_warnings);
  if (!unhealthy) {
    delete state.unhealthy_since;
    return state;
  }
  if (now < state.grace_until) return state;
  state.unhealthy_since ??= now;
  if (now - state.unhealthy_since >= spec.interval_ms * (policy.limit - 1))
    state.restart_due = true;
  return state;
}

/** How the allocation's checks stand together. */
export function allocCheckHealth(
  specs: readonly CheckSpec[],
  states: ReadonlyMap<string, CheckState>,
): AllocCheckHealth {
  const critical: string[] = [];
  const waiting: string[] = [];
  let counted = 0;
  for (const spec of specs) {
    if (spec.on_update === 'ignore') continue;
    counted++;
    const state = states.get(spec.id);
    const name = spec.label;
    if (!state || state.results === 0) {
      waiting.push(`${name} has not run yet`);
      continue;
    }
    switch (state.status) {
      case 'passing':
        break;
      case 'warning':
        if (spec.on_update !== 'ignore_warnings') waiting.push(`${name} is warning`);
        break;
      case 'critical':
        // An `initial_status` of critical only means "not passing yet".
        if (!state.from_result) waiting.push(`${name} has not passed yet`);
        else critical.push(`${name} is critical${state.output ? `: ${state.output}` : ''}`);
        break;
      case 'pending':
        waiting.push(
          `${name} has passed ${state.successes} of ${Math.max(1, spec.success_before_passing)} times`,
        );
        break;
    }
  }
  if (critical.length > 0) return { status: 'unhealthy', detail: critical.join('; ') };
  if (waiting.length > 0) return { status: 'pending', detail: waiting.join('; ') };
  return {
    status: 'healthy',
    detail: counted === 0 ? 'no checks to pass' : `all ${counted} checks passing`,
  };
}
