/**
 * Semantic rules of Nomad's job language that a JSON Schema cannot express, after Nomad's own
 * `Validate` methods (nomad/structs: Job, TaskGroup, Task, UpdateStrategy, Constraint, Affinity,
 * Spread, RestartPolicy, ReschedulePolicy, Resources, Service, ServiceCheck, Template…), with
 * Nomad's wording where it has one. Each problem is reported at the attribute or block at fault.
 *
 * The rules run on the job after `applyDefaults` (as Nomad validates a canonicalized job), with
 * the ranges recorded when it was decoded. Settings merged from the job into its groups (update,
 * reschedule, migrate) are reported where they were written.
 */
import { NAMESPACE_NAME } from '../jobspec/job-key.js';
import type { SourceRange } from '../diag/range.js';
import type { Diagnostics } from '../diag/diagnostic.js';
import type {
  Affinity,
  Artifact,
  Check,
  Constraint,
  Group,
  Job,
  Network,
  Reschedule,
  Restart,
  Service,
  Spread,
  Task,
  Template,
  Update,
} from '../generated/jobspec.js';
import { durationNanos, formatDuration, parseDuration, SECOND } from './duration.js';
import { pointer, type RangeIndex } from './ranges.js';
import { cronProblem, isTimeZone } from './cron.js';
import { parseChecksum, planArtifact } from './artifact-source.js';
import { checkTemplate } from './template-check.js';
import {
  destinationVerdict,
  knownTaskEnv,
  type KnownEnv,
  type SandboxVerdict,
} from './rules-sandbox.js';

export { cronProblem } from './cron.js';

type Duration = string | number | undefined;

/** Checks the rules on a job (with defaults applied), adding errors and warnings to `diags`. */
export function checkRules(job: Job, ranges: RangeIndex, diags: Diagnostics): void {
  const ctx = new RuleContext(job, ranges, diags);
  checkJob(ctx);
  (job.group ?? []).forEach((g, i) => checkGroup(ctx, g, i));
}

// ---------------------------------------------------------------------------------------------
// Reporting

class RuleContext {
  private readonly seen = new Set<string>();
  readonly type: NonNullable<Job['type']>;

  constructor(
    readonly job: Job,
    readonly ranges: RangeIndex,
    private readonly diags: Diagnostics,
  ) {
    this.type = job.type ?? 'service';
  }

  /** A problem with the value at `ptr`. */
  error(summary: string, ptr: string, detail?: string): void {
    this.report('error', summary, ptr, this.ranges.valueRange(ptr), detail);
  }

  /** A problem with the block (or attribute name) at `ptr`: missing parts, duplicates. */
  blockError(summary: string, ptr: string, detail?: string): void {
    this.report('error', summary, ptr, this.ranges.nameRange(ptr), detail);
  }

  warning(summary: string, ptr: string, detail?: string): void {
    this.report('warning', summary, ptr, this.ranges.valueRange(ptr), detail);
  }

  blockWarning(summary: string, ptr: string, detail?: string): void {
    this.report('warning', summary, ptr, this.ranges.nameRange(ptr), detail);
  }

  /** A value Nomad accepts that drover cannot run as written: validate warns, plan and apply refuse it. */
  refusal(summary: string, ptr: string, detail?: string): void {
    this.report('refusal', summary, ptr, this.ranges.valueRange(ptr), detail);
  }

  /** A block Nomad accepts that drover does not run as written: plan and apply refuse it. */
  blockRefusal(summary: string, ptr: string, detail?: string): void {
    this.report('refusal', summary, ptr, this.ranges.nameRange(ptr), detail);
  }

  /** A problem at a place inside a value (a line of a template). */
  errorAt(summary: string, range: SourceRange, detail?: string): void {
    this.report('error', summary, `@${range.start.line}:${range.start.column}`, range, detail);
  }

  refusalAt(summary: string, range: SourceRange, detail?: string): void {
    this.report('refusal', summary, `@${range.start.line}:${range.start.column}`, range, detail);
  }

  /** Whether the source had something at `ptr` (rather than defaults filling it in). */
  written(ptr: string): boolean {
    return this.ranges.get(ptr) !== undefined;
  }

  /** The first pointer that was written, else the first one (its nearest ancestor is used). */
  where(...ptrs: string[]): string {
    return ptrs.find((p) => this.written(p)) ?? ptrs[0]!;
  }

  line(ptr: string): number {
    return this.ranges.nameRange(ptr).start.line;
  }

  // A job-level setting merged into several groups is found once per group: report it once.
  private report(
    severity: 'error' | 'warning' | 'refusal',
    summary: string,
    ptr: string,
    range: SourceRange,
    detail?: string,
  ): void {
    // Blocks made by one `dynamic` block share its source range: one report is enough there too.
    const what = `${severity}|${summary}|${detail ?? ''}`;
    const keys = [`${what}|${ptr}`];
    if (this.ranges.get(ptr)) keys.push(`${what}|${range.filename}:${range.start.byte}`);
    if (keys.some((k) => this.seen.has(k))) return;
    for (const k of keys) this.seen.add(k);
    if (severity === 'error') this.diags.error(summary, range, detail);
    else if (severity === 'refusal') this.diags.refusal(summary, range, detail);
    else this.diags.warning(summary, range, detail);
  }
}

const NOT_RUN = 'Stanza not run by drover';

function notRun(ctx: RuleContext, ptr: string, block: string, detail?: string): void {
  ctx.blockWarning(
    NOT_RUN,
    ptr,
    detail ??
      `The "${block}" block is accepted and validated as Nomad does, but drover ignores it when it applies the job.`,
  );
}

/**
 * A stanza whose absence changes what runs (secrets, sidecars, volumes, devices, schedules):
 * the job would start without it, so plan and apply refuse the job; validate, which judges the
 * job as Nomad does, warns.
 */
function notSupported(
  ctx: RuleContext,
  ptr: string,
  block: string,
  [needs, without]: [string, string],
): void {
  ctx.blockRefusal(
    `${block} is not run by drover`,
    ptr,
    `drover would have to ${needs}. It does not, so ${without}; plan and apply refuse the job. Remove the "${block}" block if the job runs without it.`,
  );
}

const VAULT_NEEDS: [string, string] = [
  'fetch a Vault token for each task and renew it',
  'the job would run without its secrets',
];

// nomad/structs/structs.go memoryNoLimit: memory_max = -1 lifts the hard limit.
export const MEMORY_NO_LIMIT = -1;

const quote = (s: string): string => JSON.stringify(s);
const hasInterpolation = (s: string): boolean => s.includes('${');

// ---------------------------------------------------------------------------------------------
// Job

function checkJob(ctx: RuleContext): void {
  const { job } = ctx;
  // Nomad: structs.go (*Job).Validate
  if (job.id.includes(' ')) ctx.error('Job ID contains a space', '/id');
  // Nomad: structs.go validNamespaceName; drover keys non-default jobs `<namespace>/<id>`.
  if (job.namespace !== undefined && !NAMESPACE_NAME.test(job.namespace))
    ctx.error(
      'Invalid namespace name',
      '/namespace',
      `Namespace ${quote(job.namespace)} must be 1 to 128 letters, digits and dashes (Nomad's rule ^[a-zA-Z0-9-]{1,128}$).`,
    );
  // Nomad: structs.go (*Job).Validate
  (job.datacenters ?? []).forEach((dc, i) => {
    if (dc === '') ctx.error('Job datacenter must be non-empty string', pointer('datacenters', i));
  });
  // Nomad: job_endpoint_hooks.go (*jobValidate).Validate checks the server's job_max_priority.
  if (job.priority !== undefined && job.priority > 100) {
    ctx.warning(
      'Priority above Nomad’s default maximum',
      '/priority',
      `Nomad servers accept priorities up to their job_max_priority setting, 100 unless configured; ${job.priority} is above it.`,
    );
  }
  // Nomad: structs.go (*Job).Validate
  if (!job.group || job.group.length === 0) {
    ctx.blockError(
      'Missing job task groups',
      '',
      'A job needs at least one group "name" { … } block.',
    );
  }
  checkUniqueNames(ctx, job.group ?? [], '', 'group', 'job');

  checkPlacement(ctx, job, '');
  // Nomad: structs.go (*TaskGroup).Validate, on the job's block that api/tasks.go
  // (*TaskGroup).Canonicalize merged into every group.
  if (job.update && !['service', 'system'].includes(ctx.type)) {
    ctx.blockError(`Job type ${quote(ctx.type)} does not allow update block`, '/update');
  }
  // Nomad: structs.go (*TaskGroup).Validate (merged as above)
  if (job.migrate && ctx.type !== 'service') {
    ctx.blockError(`Job type ${quote(ctx.type)} does not allow migrate block`, '/migrate');
  }
  if (job.reschedule) checkRescheduleAllowed(ctx, '/reschedule');
  // Apply records periodic and parameterized jobs and starts nothing: their children run.
  if (job.periodic) checkPeriodic(ctx);
  if (job.parameterized) checkParameterized(ctx);
  if (job.vault) notSupported(ctx, '/vault', 'vault', VAULT_NEEDS);
  if (job.multiregion) notRun(ctx, '/multiregion', 'multiregion');
  checkDurations(ctx, job.update, '/update', UPDATE_DURATIONS);
  checkDurations(ctx, job.migrate, '/migrate', MIGRATE_DURATIONS);
  checkDurations(ctx, job.reschedule, '/reschedule', [], RESCHEDULE_DURATIONS);
  checkAutoPromote(ctx);
}

/** Duplicate names of groups in a job, or tasks in a group: report the later one. */
function checkUniqueNames(
  ctx: RuleContext,
  items: readonly { name: string }[],
  parent: string,
  kind: 'group' | 'task',
  within: string,
): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const ptr = `${parent}${pointer(kind, i)}`;
    const prev = first.get(item.name);
    if (prev === undefined) {
      first.set(item.name, i);
      return;
    }
    const prevPtr = `${parent}${pointer(kind, prev)}`;
    // Nomad: structs.go (*Job).Validate (groups) and (*TaskGroup).Validate (tasks)
    ctx.blockError(
      `Duplicate ${kind} ${quote(item.name)}`,
      ptr,
      `A ${kind} named ${quote(item.name)} is already defined on line ${ctx.line(prevPtr)}; ${kind} names must be unique within a ${within}.`,
    );
  });
}

/** Constraints, affinities and spreads of a job, group or task. */
function checkPlacement(
  ctx: RuleContext,
  holder: { constraint?: Constraint[]; affinity?: Affinity[]; spread?: Spread[] },
  base: string,
  level: 'job' | 'group' | 'task' = base === '' ? 'job' : 'group',
): void {
  (holder.constraint ?? []).forEach((c, i) => {
    const ptr = `${base}${pointer('constraint', i)}`;
    checkConstraint(ctx, c, ptr);
    // Nomad: structs.go (*Task).Validate
    if (
      level === 'task' &&
      (c.operator === 'distinct_hosts' || c.operator === 'distinct_property')
    ) {
      ctx.error(
        `Constraint has disallowed Operand at task level: ${c.operator}`,
        ctx.where(`${ptr}/operator`, `${ptr}/${c.operator}`, ptr),
        'distinct_hosts and distinct_property apply to whole allocations: put them in the group or job.',
      );
    }
  });
  // Nomad: structs.go (*Job).Validate, (*TaskGroup).Validate and (*Task).Validate
  if (ctx.type === 'system' && holder.affinity && holder.affinity.length > 0) {
    ctx.blockError('System jobs may not have an affinity block', `${base}/affinity/0`);
  } else {
    (holder.affinity ?? []).forEach((a, i) =>
      checkAffinity(ctx, a, `${base}${pointer('affinity', i)}`),
    );
  }
  // Nomad: structs.go (*Job).Validate and (*TaskGroup).Validate
  if (ctx.type === 'system' && holder.spread && holder.spread.length > 0) {
    ctx.blockError('System jobs may not have a spread block', `${base}/spread/0`);
  } else {
    (holder.spread ?? []).forEach((s, i) => checkSpread(ctx, s, `${base}${pointer('spread', i)}`));
  }
}

function checkRescheduleAllowed(ctx: RuleContext, ptr: string): void {
  // Nomad: structs.go (*TaskGroup).Validate; api/tasks.go (*TaskGroup).Canonicalize merges a
  // job-level block into the groups and fills no default for system jobs.
  if (ctx.type === 'system') {
    ctx.blockError('System jobs should not have a reschedule policy', ptr);
  } else if (ctx.type === 'sysbatch') {
    ctx.blockWarning(
      'sysbatch jobs are not rescheduled',
      ptr,
      'Allocations of sysbatch jobs are never rescheduled to other nodes; this block has no effect.',
    );
  }
}

function checkPeriodic(ctx: RuleContext): void {
  const p = ctx.job.periodic!;
  if (p.enabled === false) return;
  // Nomad: structs.go (*Job).Validate
  if (ctx.type !== 'batch' && ctx.type !== 'sysbatch') {
    ctx.blockError('Periodic can only be used with "batch" or "sysbatch" scheduler', '/periodic');
  }
  const hasCron = p.cron !== undefined && p.cron !== '';
  const hasCrons = (p.crons ?? []).length > 0;
  // Nomad: structs.go (*PeriodicConfig).Validate
  if (hasCron && hasCrons) ctx.blockError('Only cron or crons may be used', '/periodic');
  // Nomad: structs.go (*PeriodicConfig).Validate
  if (!hasCron && !hasCrons) {
    ctx.blockError(
      'Must specify a spec',
      '/periodic',
      'A periodic block needs crons = ["…"] (or cron = "…").',
    );
  }
  if (hasCron) checkCron(ctx, p.cron!, '/periodic/cron');
  (p.crons ?? []).forEach((c, i) => checkCron(ctx, c, pointer('periodic', 'crons', i)));
  // Nomad: structs.go (*PeriodicConfig).Validate (time.LoadLocation)
  if (p.time_zone && !isTimeZone(p.time_zone)) {
    ctx.error(
      `Invalid time zone ${quote(p.time_zone)}`,
      '/periodic/time_zone',
      'Use an IANA time zone name such as "Europe/Paris".',
    );
  }
}

function checkCron(ctx: RuleContext, spec: string, ptr: string): void {
  const problem = cronProblem(spec);
  // Nomad: structs.go (*PeriodicConfig).Validate (cronexpr.Parse)
  if (problem) ctx.error(`Invalid cron spec ${quote(spec)}`, ptr, problem);
}

function checkParameterized(ctx: RuleContext): void {
  const p = ctx.job.parameterized!;
  // Nomad: structs.go (*Job).Validate
  if (ctx.type !== 'batch' && ctx.type !== 'sysbatch') {
    ctx.blockError(
      'Parameterized job can only be used with "batch" or "sysbatch" scheduler',
      '/parameterized',
    );
  }
  const optional = new Set(p.meta_optional ?? []);
  const both = (p.meta_required ?? []).filter((k) => optional.has(k));
  // Nomad: structs.go (*ParameterizedJobConfig).Validate
  if (both.length > 0) {
    ctx.blockError(
      'Required and optional meta keys should be disjoint',
      '/parameterized',
      `These keys are both required and optional: ${both.map(quote).join(', ')}.`,
    );
  }
}

/** Whether a path relative to an allocation directory leaves it (escapingfs.PathEscapesAllocViaRelative). */
export function escapesAllocDir(relative: string): boolean {
  if (relative.startsWith('/')) return true;
  let depth = 0;
  for (const part of relative.split('/')) {
    if (part === '..') depth -= 1;
    else if (part !== '' && part !== '.') depth += 1;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * Nomad's artifact rules (structs.go (*TaskArtifact).Validate), and drover's refusal of sources
 * it has no getter for: the task would start without its files.
 */
function checkArtifact(ctx: RuleContext, a: Artifact, ap: string, env: KnownEnv): void {
  // Nomad: structs.go (*TaskArtifact).Validate
  if (!a.source)
    ctx.blockError(
      'source must be specified',
      ap,
      'An artifact needs source = "…", the address to download.',
    );
  // Nomad: structs.go (*TaskArtifact).Validate, and the client's getter (taskenv.ClientPath)
  if (a.destination !== undefined)
    checkDestination(ctx, destinationVerdict('artifact', a.destination, env), `${ap}/destination`);
  const checksum = a.options?.checksum;
  if (checksum !== undefined && !hasInterpolation(checksum)) {
    try {
      parseChecksum(checksum);
    } catch (err) {
      // Nomad: structs.go (*TaskArtifact).validateChecksum
      ctx.error((err as Error).message, `${ap}/options/checksum`);
    }
  }
  if (a.chown)
    notRun(
      ctx,
      `${ap}/chown`,
      'chown',
      'chown = true is accepted, but drover leaves the files to the user that fetched them (not built yet).',
    );
  if (!a.source || hasInterpolation(a.source)) return;
  try {
    planArtifact({ ...a, options: { ...a.options, checksum: undefined } });
  } catch (err) {
    ctx.blockRefusal(
      'artifact source not fetched by drover',
      `${ap}/source`,
      `${(err as Error).message}. plan and apply refuse the job, as the task would start without the files.`,
    );
  }
}

/** Nomad warns when some groups auto-promote and others have canaries that would wait. */
// Nomad: structs.go (*Job).Warnings
function checkAutoPromote(ctx: RuleContext): void {
  const groups = ctx.job.group ?? [];
  let some = false;
  let all = true;
  for (const g of groups) {
    if (!g.update) continue;
    some ||= g.update.auto_promote === true;
    all &&= !g.update.canary || g.update.auto_promote === true;
  }
  if (some && !all) {
    const ptr = ctx.where(
      '/update/auto_promote',
      ...groups.map((_, i) => pointer('group', i, 'update', 'auto_promote')),
    );
    ctx.warning(
      'auto_promote must be true for all groups to enable automatic promotion',
      ptr,
      'Groups with canaries but without auto_promote wait for a manual promotion, and so does the whole deployment.',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Placement: constraint, affinity, spread

const COMPARISONS = new Set(['=', '==', 'is', '!=', 'not', '<', '<=', '>', '>=']);
const SET_OPERATORS = new Set(['set_contains', 'set_contains_all', 'set_contains_any']);

/** nomad/structs Constraint.Validate, after jobspec2 turned shorthands into operators. */
function checkConstraint(ctx: RuleContext, c: Constraint, ptr: string): void {
  const op = c.operator ?? '=';
  const opPtr = ctx.where(`${ptr}/operator`, `${ptr}/${op}`, ptr);
  const valuePtr = ctx.where(`${ptr}/value`, `${ptr}/${op}`, ptr);
  const value = c.value ?? '';
  let needsAttribute = true;
  if (op === 'distinct_hosts') {
    needsAttribute = false;
  } else if (SET_OPERATORS.has(op)) {
    // Nomad: structs.go (*Constraint).Validate
    if (value === '')
      ctx.blockError(
        'Set contains constraint requires an RTarget',
        ptr,
        `Give the values to look for: value = "a,b".`,
      );
  } else if (op === 'regexp' || op === 'version' || op === 'semver') {
    checkPattern(ctx, op, value, valuePtr, ptr, 'constraint');
  } else if (op === 'distinct_property') {
    if (value !== '' && !hasInterpolation(value)) {
      // Nomad: structs.go (*Constraint).Validate (strconv.ParseUint)
      if (!/^\d+$/.test(value)) {
        ctx.error(
          `Failed to convert RTarget ${quote(value)} to uint64`,
          valuePtr,
          'The value of a distinct_property constraint is how many allocations may share a property value.',
        );
      } else if (Number(value) < 1) {
        // Nomad: structs.go (*Constraint).Validate
        ctx.error(
          `Distinct Property must have an allowed count of 1 or greater: ${value} < 1`,
          valuePtr,
        );
      }
    }
  } else if (op === 'is_set' || op === 'is_not_set') {
    // Nomad: structs.go (*Constraint).Validate
    if (value !== '') ctx.error(`Operator ${quote(op)} does not support an RTarget`, valuePtr);
  } else if (COMPARISONS.has(op)) {
    // Nomad: structs.go (*Constraint).Validate
    if (value === '')
      ctx.blockError(`Operator ${quote(op)} requires an RTarget`, ptr, 'Add value = "…".');
  } else {
    // Nomad: structs.go (*Constraint).Validate
    ctx.error(`Unknown constraint type ${quote(op)}`, opPtr);
  }
  // Nomad: structs.go (*Constraint).Validate
  if (needsAttribute && !c.attribute) {
    ctx.blockError(
      'No LTarget provided but is required by constraint',
      ptr,
      'Add attribute = "${…}", the node property to test.',
    );
  }
  // Nomad: jobspec2/hcl_conversions.go decodeConstraint reads these shorthands but applies none.
  for (const key of ['set_contains_all', 'set_contains_any', 'is_set', 'is_not_set'] as const) {
    if (c[key] !== undefined) {
      ctx.warning(
        `${key} is ignored in a constraint block`,
        `${ptr}/${key}`,
        `Nomad reads but does not apply this shorthand in constraints; write operator = ${quote(key)} and value instead.`,
      );
    }
  }
}

/** nomad/structs Affinity.Validate */
function checkAffinity(ctx: RuleContext, a: Affinity, ptr: string): void {
  const op = a.operator ?? '=';
  const valuePtr = ctx.where(`${ptr}/value`, `${ptr}/${op}`, ptr);
  const value = a.value ?? '';
  // Nomad: structs.go (*Affinity).Validate, for this and the rest of the function
  if (SET_OPERATORS.has(op)) {
    if (value === '') ctx.blockError('Set contains operators require an RTarget', ptr);
  } else if (op === 'regexp' || op === 'version' || op === 'semver') {
    checkPattern(ctx, op, value, valuePtr, ptr, 'affinity');
  } else if (COMPARISONS.has(op)) {
    // Nomad: structs.go (*Affinity).Validate
    if (value === '') ctx.blockError(`Operator ${quote(op)} requires an RTarget`, ptr);
  } else {
    // Nomad: structs.go (*Affinity).Validate
    ctx.error(`Unknown affinity operator ${quote(op)}`, ctx.where(`${ptr}/operator`, ptr));
  }
  // Nomad: structs.go (*Affinity).Validate
  if (!a.attribute)
    ctx.blockError('No LTarget provided but is required', ptr, 'Add attribute = "${…}".');
  // Nomad: structs.go (*Affinity).Validate (the -100..100 range is the schema's)
  if (a.weight === 0) ctx.error('Affinity weight cannot be zero', ctx.where(`${ptr}/weight`, ptr));
}

/** regexp, version and semver values must compile. */
function checkPattern(
  ctx: RuleContext,
  op: 'regexp' | 'version' | 'semver',
  value: string,
  valuePtr: string,
  blockPtr: string,
  kind: 'constraint' | 'affinity',
): void {
  if (hasInterpolation(value)) return;
  if (op === 'regexp') {
    const err = regexpProblem(value);
    // Nomad: structs.go (*Constraint).Validate and (*Affinity).Validate (regexp.Compile)
    if (err) ctx.error('Regular expression failed to compile', valuePtr, err);
  } else if (value === '') {
    // Nomad: structs.go (*Constraint).Validate and (*Affinity).Validate: go-version and
    // Nomad's semver helper refuse an empty constraint.
    ctx.blockError(`Operator ${quote(op)} requires an RTarget`, blockPtr);
  } else {
    const bad = versionConstraintProblem(value, op === 'version');
    if (bad) {
      const what = op === 'version' ? 'Version' : 'Semver';
      // Nomad: structs.go (*Constraint).Validate and (*Affinity).Validate
      ctx.error(`${what} ${kind} is invalid`, valuePtr, `Malformed constraint: ${bad}`);
    }
  }
}

/**
 * Compiles a Go (RE2) regular expression with JavaScript's engine after translating the RE2
 * forms JavaScript lacks: leading flags "(?i)" and named groups "(?P<name>…)".
 */
export function regexpProblem(source: string): string | undefined {
  let flags = '';
  let body = source;
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1]!.replace(/U/g, ''))].join('');
    body = body.slice(lead[0].length);
  }
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\\z/g, '$')
    .replace(/\\A/g, '^');
  try {
    new RegExp(body, flags);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const VERSION_RE =
  'v?[0-9]+(\\.[0-9]+)*' +
  '(-([0-9]+[0-9A-Za-z\\-~]*(\\.[0-9A-Za-z\\-~]+)*)|(-?([A-Za-z\\-~]+[0-9A-Za-z\\-~]*(\\.[0-9A-Za-z\\-~]+)*)))?' +
  '(\\+([0-9A-Za-z\\-~]+(\\.[0-9A-Za-z\\-~]+)*))?';
const VERSION_CONSTRAINT = new RegExp(`^\\s*(=|!=|>=|<=|>|<|~>)?\\s*${VERSION_RE}\\s*$`);
const SEMVER_CONSTRAINT = new RegExp(`^\\s*(=|!=|>=|<=|>|<)?\\s*${VERSION_RE}\\s*$`);

/**
 * The first malformed element of a comma-separated version constraint (hashicorp/go-version
 * syntax for "version"; Nomad's semver helper, which has no "~>", for "semver").
 */
export function versionConstraintProblem(
  value: string,
  allowPessimistic: boolean,
): string | undefined {
  const re = allowPessimistic ? VERSION_CONSTRAINT : SEMVER_CONSTRAINT;
  return (
    value
      .split(',')
      .find((part) => !re.test(part))
      ?.trim() ?? undefined
  );
}

/** nomad/structs Spread.Validate */
function checkSpread(ctx: RuleContext, s: Spread, ptr: string): void {
  // Nomad: structs.go (*Spread).Validate, for this and the rest of the function
  if (!s.attribute)
    ctx.blockError(
      'Missing spread attribute',
      ptr,
      'Add attribute = "${…}", the node property to spread over.',
    );
  // Nomad: structs.go (*Spread).Validate; api/tasks.go (*Spread).Canonicalize fills 50 when unset.
  if (s.weight !== undefined && s.weight <= 0)
    ctx.error(
      'Spread block must have a positive weight from 0 to 100',
      ctx.where(`${ptr}/weight`, ptr),
      `Got ${s.weight}; give a weight from 1 to 100.`,
    );
  const seen = new Set<string>();
  let sum = 0;
  (s.target ?? []).forEach((t, i) => {
    const tp = `${ptr}${pointer('target', i)}`;
    // Nomad: structs.go (*Spread).Validate
    if (seen.has(t.value))
      ctx.blockError(`Spread target value ${quote(t.value)} already defined`, tp);
    seen.add(t.value);
    sum += t.percent ?? 0;
  });
  // Nomad: structs.go (*Spread).Validate
  if (sum > 100) {
    ctx.blockError(
      `Sum of spread target percentages must not be greater than 100%; got ${sum}%`,
      ptr,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Group

function checkGroup(ctx: RuleContext, g: Group, i: number): void {
  const gp = pointer('group', i);
  const tasks = g.task ?? [];
  // Nomad: structs.go (*Job).Validate
  if (ctx.type === 'system' && (g.count ?? 1) > 1) {
    ctx.error(
      'Count cannot exceed 1 with system scheduler',
      `${gp}/count`,
      `Group ${quote(g.name)} has count ${g.count}; a system job runs one allocation per node.`,
    );
  }
  // Nomad: structs.go (*TaskGroup).Validate
  if (g.count !== undefined && g.count < 0)
    ctx.error("Task group count can't be negative", `${gp}/count`);
  const gateway = (g.service ?? []).some((s) => s.connect && 'gateway' in s.connect);
  // Nomad: structs.go (*TaskGroup).Validate, after the connect mutator added a gateway's task
  if (tasks.length === 0 && !gateway) {
    ctx.blockError(
      'Missing tasks for task group',
      gp,
      `Group ${quote(g.name)} needs at least one task "name" { … } block.`,
    );
  }
  checkUniqueNames(ctx, tasks, gp, 'task', 'group');
  // Nomad: structs.go (*TaskGroup).Validate (hashicorp/nomad#28283): hooks run around main
  // tasks, so a group of hooks alone has nothing to run them around.
  if (tasks.length > 0 && tasks.every((t) => t.lifecycle?.hook))
    ctx.blockError(
      'Task group must have at least one main task',
      gp,
      `Every task of group ${quote(g.name)} has a lifecycle hook; a task without a "lifecycle" block is a main task, which prestart, poststart and poststop tasks run around.`,
    );
  const leaders = tasks.flatMap((t, j) => (t.leader ? [j] : []));
  // Nomad: structs.go (*TaskGroup).Validate
  if (leaders.length > 1) {
    ctx.error(
      'Only one task may be marked as leader',
      pointer('group', i, 'task', leaders[1]!, 'leader'),
    );
  }

  // Nomad: structs.go (*EphemeralDisk).Validate
  const disk = g.ephemeral_disk?.size;
  if (disk !== undefined && disk < 10)
    ctx.error(
      `minimum DiskMB value is 10; got ${disk}`,
      ctx.where(`${gp}/ephemeral_disk/size`, `${gp}/ephemeral_disk`, gp),
      'ephemeral_disk size is in MB.',
    );

  checkPlacement(ctx, g, gp, 'group');
  checkGroupUpdate(ctx, g, i);
  checkGroupMigrate(ctx, g, i);
  if (g.restart) checkRestart(ctx, g.restart, `${gp}/restart`);
  if (g.reschedule) {
    const written = ctx.written(`${gp}/reschedule`) || !ctx.job.reschedule;
    if (written) checkRescheduleAllowed(ctx, `${gp}/reschedule`);
    // Nomad: structs.go (*TaskGroup).Validate validates the policy of every type but system.
    if (ctx.type !== 'system') checkReschedule(ctx, g.reschedule, i);
  }
  if (
    g.stop_after_client_disconnect !== undefined &&
    ctx.type !== 'batch' &&
    ctx.type !== 'service'
  ) {
    const d = durationNanos(g.stop_after_client_disconnect) ?? 0;
    // Nomad: structs.go (*Job).Validate
    if (d > 0)
      ctx.error(
        'stop_after_client_disconnect can only be set in batch and service jobs',
        `${gp}/stop_after_client_disconnect`,
      );
  }
  checkScaling(ctx, g, gp);
  checkVolumes(ctx, g, gp);
  checkNetworks(ctx, g, gp);
  checkDurations(ctx, g, gp, GROUP_DURATIONS, ['max_run_duration']);
  // Without a controller watching the clock nothing would stop the allocation at its deadline.
  if (ctx.written(`${gp}/max_run_duration`))
    notSupported(ctx, `${gp}/max_run_duration`, 'max_run_duration', [
      'stop the allocation once it has run that long (not built yet)',
      'its tasks would run past the deadline',
    ]);
  checkDurations(ctx, g.restart, `${gp}/restart`, [], RESTART_DURATIONS);
  checkDurations(ctx, g.reschedule, `${gp}/reschedule`, [], RESCHEDULE_DURATIONS);
  checkDurations(ctx, g.disconnect, `${gp}/disconnect`, DISCONNECT_DURATIONS);

  const taskNames = new Set(tasks.map((t) => t.name));
  const ports = groupPorts(g);
  (g.service ?? []).forEach((s, k) =>
    checkService(ctx, s, `${gp}${pointer('service', k)}`, { ports, taskNames, group: g }),
  );
  if (g.vault && ctx.written(`${gp}/vault`)) notSupported(ctx, `${gp}/vault`, 'vault', VAULT_NEEDS);
  if (g.consul) notRun(ctx, `${gp}/consul`, 'consul');
  if (g.scaling) notRun(ctx, `${gp}/scaling`, 'scaling');
  tasks.forEach((t, j) => checkTask(ctx, g, t, i, j));
}

/** Where a setting of a group's (merged) update, migrate or reschedule was written. */
function mergedPtr(ctx: RuleContext, i: number, block: string, key?: string): string {
  const group = pointer('group', i, block);
  const job = pointer(block);
  if (key === undefined) return ctx.where(group, job);
  return ctx.where(`${group}/${key}`, `${job}/${key}`, group, job);
}

function checkGroupUpdate(ctx: RuleContext, g: Group, i: number): void {
  const u = g.update;
  if (!u) return;
  const at = (key?: string) => mergedPtr(ctx, i, 'update', key);
  if (!['service', 'system'].includes(ctx.type)) {
    // The job-level block is reported by checkJob; report groups that wrote their own.
    // Nomad: structs.go (*TaskGroup).Validate
    if (ctx.written(pointer('group', i, 'update')) || !ctx.job.update) {
      ctx.blockError(
        `Job type ${quote(ctx.type)} does not allow update block`,
        pointer('group', i, 'update'),
      );
    }
    return;
  }
  const wrote = (key: string) =>
    ctx.written(pointer('group', i, 'update', key)) || ctx.written(pointer('update', key));
  checkUpdate(ctx, u, at, wrote, g);
  checkDurations(ctx, u, pointer('group', i, 'update'), UPDATE_DURATIONS);
}

/** nomad/structs UpdateStrategy.Validate and TaskGroup.Warnings */
function checkUpdate(
  ctx: RuleContext,
  u: Update,
  at: (key?: string) => string,
  wrote: (key: string) => boolean,
  g: Group,
): void {
  const maxParallel = u.max_parallel ?? 1;
  const canary = u.canary ?? 0;
  // Nomad: structs.go (*UpdateStrategy).Validate, for the checks down to stagger
  if (maxParallel < 0)
    ctx.error(`Max parallel can not be less than zero: ${maxParallel} < 0`, at('max_parallel'));
  if (canary < 0) ctx.error(`Canary count can not be less than zero: ${canary} < 0`, at('canary'));
  // Nomad accepts this (structs.go (*UpdateStrategy).IsEmpty: max_parallel = 0 means no update
  // strategy, so no deployment and no canaries); drover still rolls the group out with them.
  if (canary > 0 && maxParallel === 0) {
    ctx.warning(
      'Canaries with max_parallel = 0',
      at('canary'),
      'Nomad accepts this, but max_parallel = 0 turns deployments off: Nomad places no canaries and replaces every allocation at once. drover places the canaries and rolls out one allocation at a time. Set max_parallel, or remove canary.',
    );
  }
  if (ctx.type === 'system' && canary > 0) {
    // drover rolls system jobs over their nodes like Nomad's system scheduler before its
    // system deployments: max_parallel nodes at a time, `stagger` apart, no canary phase.
    ctx.warning(
      'System jobs are updated without canaries',
      at('canary'),
      'A system job replaces its allocations node by node, max_parallel at a time and stagger apart; canary (and auto_promote) are not applied.',
    );
  }
  // Nomad: structs.go (*UpdateStrategy).Validate
  if (canary === 0 && u.auto_promote === true) {
    ctx.error(
      'Auto Promote requires a Canary count greater than zero',
      at('auto_promote'),
      'Without canaries there is nothing to promote: set canary, or remove auto_promote.',
    );
  }
  const minHealthy = durationNanos(u.min_healthy_time);
  const healthy = durationNanos(u.healthy_deadline);
  const progress = durationNanos(u.progress_deadline);
  const stagger = durationNanos(u.stagger);
  // Nomad: structs.go (*UpdateStrategy).Validate
  if (healthy !== undefined && healthy <= 0) {
    ctx.error(
      `Healthy deadline must be greater than zero: ${formatDuration(healthy)}`,
      at('healthy_deadline'),
    );
  }
  // Nomad: structs.go (*UpdateStrategy).Validate
  if (minHealthy !== undefined && healthy !== undefined && healthy > 0 && minHealthy >= healthy) {
    ctx.error(
      `Minimum healthy time must be less than healthy deadline: ${formatDuration(minHealthy)} > ${formatDuration(healthy)}`,
      at(wrote('min_healthy_time') ? 'min_healthy_time' : 'healthy_deadline'),
    );
  }
  // Nomad: structs.go (*UpdateStrategy).Validate
  if (progress !== undefined && progress !== 0 && healthy !== undefined && healthy >= progress) {
    ctx.error(
      `Healthy deadline must be less than progress deadline: ${formatDuration(healthy)} > ${formatDuration(progress)}`,
      at(wrote('progress_deadline') ? 'progress_deadline' : 'healthy_deadline'),
    );
  }
  // Nomad: structs.go (*UpdateStrategy).Validate
  if (stagger !== undefined && stagger <= 0) {
    ctx.error(`Stagger must be greater than zero: ${formatDuration(stagger)}`, at('stagger'));
  }
  const count = g.count ?? 1;
  // Nomad: structs.go (*TaskGroup).Warnings, which leaves out groups of one allocation.
  if (count > 1 && maxParallel > count && !ctx.job.multiregion) {
    ctx.warning(
      'Update max parallel count is greater than task group count',
      at('max_parallel'),
      ctx.type === 'system'
        ? `max_parallel is ${maxParallel} and group ${quote(g.name)} has count ${count}. Nomad warns so for system jobs too, though a system job's update replaces max_parallel nodes at a time.`
        : `max_parallel is ${maxParallel} and group ${quote(g.name)} has count ${count}: a destructive change would replace all allocations at once.`,
    );
  }
}

function checkGroupMigrate(ctx: RuleContext, g: Group, i: number): void {
  const m = g.migrate;
  if (!m) return;
  const gptr = pointer('group', i, 'migrate');
  if (ctx.type !== 'service') {
    // Nomad: structs.go (*TaskGroup).Validate
    if (ctx.written(gptr) || !ctx.job.migrate) {
      ctx.blockError(`Job type ${quote(ctx.type)} does not allow migrate block`, gptr);
    }
    return;
  }
  const minHealthy = durationNanos(m.min_healthy_time);
  const healthy = durationNanos(m.healthy_deadline);
  // Nomad: structs.go (*MigrateStrategy).Validate
  if (minHealthy !== undefined && healthy !== undefined && minHealthy > healthy) {
    ctx.error(
      'MinHealthyTime must be less than HealthyDeadline',
      mergedPtr(ctx, i, 'migrate', 'min_healthy_time'),
      `min_healthy_time is ${formatDuration(minHealthy)} and healthy_deadline ${formatDuration(healthy)}.`,
    );
  }
  checkDurations(ctx, m, gptr, MIGRATE_DURATIONS);
}

/** nomad/structs RestartPolicy.Validate (the group's, and each task's merged policy). */
function checkRestart(ctx: RuleContext, r: Restart, ptr: string): void {
  const mode = r.mode ?? 'fail';
  const attempts = r.attempts ?? 0;
  const interval = durationNanos(r.interval) ?? 0;
  const delay = durationNanos(r.delay) ?? 0;
  // Nomad: structs.go (*RestartPolicy).Validate (the mode is the schema's enum)
  if (attempts === 0 && mode !== 'fail') {
    ctx.error(
      `Restart policy ${quote(mode)} with ${attempts} attempts is ambiguous`,
      ctx.where(`${ptr}/attempts`, `${ptr}/mode`, ptr),
    );
  }
  // Nomad: structs.go (*RestartPolicy).Validate
  if (interval < 5 * SECOND) {
    ctx.error(
      `Interval can not be less than 5s (got ${formatDuration(interval)})`,
      ctx.where(`${ptr}/interval`, ptr),
    );
  }
  // Nomad: structs.go (*RestartPolicy).Validate
  if (attempts * delay > interval) {
    ctx.error(
      `Nomad can't restart the TaskGroup ${attempts} times in an interval of ${formatDuration(interval)} with a delay of ${formatDuration(delay)}`,
      ctx.where(`${ptr}/attempts`, `${ptr}/delay`, `${ptr}/interval`, ptr),
    );
  }
}

const RESCHEDULE_MIN_DELAY = 5 * SECOND;
const RESCHEDULE_MIN_INTERVAL = 15 * SECOND;

/** nomad/structs ReschedulePolicy.Validate */
function checkReschedule(ctx: RuleContext, r: Reschedule, i: number): void {
  const attempts = r.attempts ?? 0;
  const unlimited = r.unlimited === true;
  if (attempts <= 0 && !unlimited) return; // disabled
  const at = (key: string) => mergedPtr(ctx, i, 'reschedule', key);
  const interval = durationNanos(r.interval) ?? 0;
  const delay = durationNanos(r.delay) ?? 0;
  const maxDelay = durationNanos(r.max_delay) ?? 0;
  const fn = r.delay_function ?? '';
  // Nomad: structs.go (*ReschedulePolicy).Validate, for the checks down to viableAttempts
  if (attempts > 0) {
    if (interval <= 0)
      ctx.error('Interval must be a non zero value if Attempts > 0', at('interval'));
    if (unlimited) {
      ctx.error(
        `Reschedule Policy with Attempts = ${attempts}, Interval = ${formatDuration(interval)}, and Unlimited = true is ambiguous`,
        at('unlimited'),
        'If Attempts >0, Unlimited cannot also be set to true',
      );
    }
  }
  let delaysOk = true;
  // Nomad: structs.go (*ReschedulePolicy).Validate
  if (delay < RESCHEDULE_MIN_DELAY) {
    ctx.error(`Delay cannot be less than 5s (got ${formatDuration(delay)})`, at('delay'));
    delaysOk = false;
  }
  // Nomad: structs.go (*ReschedulePolicy).Validate
  if (!['constant', 'exponential', 'fibonacci'].includes(fn)) {
    ctx.error(
      `Invalid delay function ${quote(fn)}, must be one of "constant", "exponential", "fibonacci"`,
      at('delay_function'),
    );
    delaysOk = false;
  }
  // Nomad: structs.go (*ReschedulePolicy).Validate checks both bounds of max_delay.
  if (fn !== 'constant') {
    if (maxDelay < RESCHEDULE_MIN_DELAY) {
      ctx.error(
        `Max Delay cannot be less than 5s (got ${formatDuration(maxDelay)})`,
        at('max_delay'),
      );
      delaysOk = false;
    }
    // Nomad: structs.go (*ReschedulePolicy).Validate
    if (maxDelay < delay) {
      ctx.error(
        `Max Delay cannot be less than Delay ${formatDuration(delay)} (got ${formatDuration(maxDelay)})`,
        at('max_delay'),
      );
      delaysOk = false;
    }
  }
  if (unlimited) return;
  // Nomad: structs.go (*ReschedulePolicy).Validate
  if (interval < RESCHEDULE_MIN_INTERVAL) {
    ctx.error(`Interval cannot be less than 15s (got ${formatDuration(interval)})`, at('interval'));
  }
  if (!delaysOk) return;
  const viable = viableAttempts(attempts, interval, delay, maxDelay, fn);
  // Nomad: structs.go (*ReschedulePolicy).validateDelayParams
  if (!viable.ok) {
    ctx.error(
      `Nomad can only make ${viable.possible} attempts in ${formatDuration(interval)} with initial delay ${formatDuration(delay)}${fn === 'constant' ? '' : ` and delay ceiling ${formatDuration(maxDelay)}`}`,
      at('attempts'),
      `Set the interval to at least ${formatDuration(Math.round(viable.recommended / SECOND) * SECOND)} to accommodate ${attempts} attempts.`,
    );
  }
}

/** nomad/structs ReschedulePolicy.viableAttempts: do the attempts fit in the interval? */
function viableAttempts(
  attempts: number,
  interval: number,
  delay: number,
  maxDelay: number,
  fn: string,
): { ok: boolean; possible: number; recommended: number } {
  let possible = 0;
  let recommended = 0;
  let ok = true;
  if (fn === 'constant') {
    recommended = attempts * delay;
    if (interval < recommended) {
      possible = Math.floor(interval / delay);
      ok = false;
    }
  } else if (delay <= 0) {
    // Every delay is 0: nothing to add up (and nothing to loop `attempts` times over).
    ok = fn === 'exponential' ? interval > 0 || attempts === 0 : interval >= 0;
    possible = interval > 0 ? attempts : 0;
  } else if (fn === 'exponential') {
    for (let k = 0; k < attempts; k++) {
      const next = 2 ** k * delay;
      if (next > maxDelay) {
        // From here each attempt adds the ceiling: the rest in closed form (attempts may be
        // 10^19 in a hostile job; a loop over them would never end).
        const rest = attempts - k;
        if (interval > recommended)
          possible += Math.min(rest, Math.ceil((interval - recommended) / maxDelay) - 1);
        recommended += rest * maxDelay;
        break;
      }
      recommended = next;
      if (recommended < interval) possible++;
    }
    ok = possible >= attempts;
  } else {
    // Fibonacci up to the ceiling; from the ceiling's slot k on, slot k + j is (j + 1) × ceiling.
    const slots = [delay, delay];
    let ceilingAt = -1;
    for (let k = 2; k < attempts; k++) {
      const next = slots[k - 1]! + slots[k - 2]!;
      if (next > maxDelay) {
        ceilingAt = k;
        break;
      }
      slots.push(next);
    }
    const count = Math.max(2, attempts);
    recommended = ceilingAt < 0 ? slots[slots.length - 1]! : (attempts - ceilingAt) * maxDelay;
    if (interval < recommended) {
      ok = false;
      possible = slots.findIndex((s) => s > interval);
      if (possible < 0)
        possible =
          ceilingAt < 0 ? count : Math.min(count, ceilingAt + Math.floor(interval / maxDelay));
    }
  }
  return { ok, possible: Math.max(0, possible), recommended };
}

/** nomad/structs TaskGroup.validateScalingPolicy and ScalingPolicy.Validate */
function checkScaling(ctx: RuleContext, g: Group, gp: string): void {
  const s = g.scaling;
  if (!s) return;
  const sp = `${gp}/scaling`;
  const count = g.count ?? 1;
  const max = s.max;
  const min = s.min ?? count;
  // Nomad: structs.go (*ScalingPolicy).Validate
  if (max < min) {
    ctx.error(
      'Scaling policy invalid: maximum count must not be less than minimum count',
      ctx.where(`${sp}/max`, sp),
    );
  }
  // Nomad: structs.go (*TaskGroup).validateScalingPolicy
  if (max < count) {
    ctx.error(
      'Scaling policy invalid: task group count must not be greater than maximum count in scaling policy',
      ctx.where(`${gp}/count`, `${sp}/max`, sp),
    );
  }
  // Nomad: structs.go (*TaskGroup).validateScalingPolicy
  if (count < min && !(ctx.job.multiregion && count === 0)) {
    ctx.error(
      'Scaling policy invalid: task group count must not be less than minimum count in scaling policy',
      ctx.where(`${gp}/count`, `${sp}/min`, sp),
    );
  }
}

function checkVolumes(ctx: RuleContext, g: Group, gp: string): void {
  const names = new Map<string, number>();
  (g.volume ?? []).forEach((v, k) => {
    const vp = `${gp}${pointer('volume', k)}`;
    // Nomad holds a group's volumes in a map keyed by name (api/tasks.go TaskGroup.Volumes) and
    // has no duplicate rule of its own: two blocks with one name cannot both be used.
    if (names.has(v.name)) {
      ctx.blockWarning(
        `Duplicate volume ${quote(v.name)}`,
        vp,
        `A volume named ${quote(v.name)} is already defined on line ${ctx.line(`${gp}${pointer('volume', names.get(v.name)!)}`)}; a group holds one volume per name, so only one of them is used.`,
      );
    } else names.set(v.name, k);
    // Nomad: volumes.go (*VolumeRequest).Validate
    if (!v.source)
      ctx.blockError(
        `Volume ${v.name} has an empty source`,
        vp,
        'Add source = "…", the host volume or CSI volume to use.',
      );
    if (v.type === 'csi')
      notSupported(ctx, vp, 'volume', [
        'claim the CSI volume and attach it through its plugin',
        'the tasks would run without their data',
      ]);
    else checkHostVolume(ctx, v, vp);
  });
  (g.task ?? []).forEach((t, j) => {
    (t.volume_mount ?? []).forEach((m, k) => {
      const mp = `${gp}${pointer('task', j, 'volume_mount', k)}`;
      // Nomad: structs.go (*Task).Validate
      checkVolumeMount(ctx, t, m, mp);
      if (!m.volume) {
        ctx.blockError(`Task ${t.name} has a volume mount (${k}) referencing an empty volume`, mp);
      } else if (!names.has(m.volume)) {
        // Nomad: structs.go (*Task).Validate
        ctx.error(
          `Task ${t.name} has a volume mount (${k}) referencing undefined volume ${m.volume}`,
          ctx.where(`${mp}/volume`, mp),
          names.size > 0
            ? `Volumes of this group: ${[...names.keys()].map(quote).join(', ')}.`
            : 'Declare it in the group: volume "name" { type = "host", source = "…" }.',
        );
      }
    });
  });
}

/** What drover does not do with a host volume: refused or warned about at its line. */
function checkHostVolume(ctx: RuleContext, v: NonNullable<Group['volume']>[number], vp: string) {
  // Nomad: volumes.go (*VolumeRequest).Validate
  if (v.mount_options && ctx.written(`${vp}/mount_options`))
    ctx.blockError(
      'Host volumes cannot have mount options',
      `${vp}/mount_options`,
      'mount_options applies to CSI volumes only; remove it.',
    );
  if (v.per_alloc)
    notSupported(ctx, `${vp}/per_alloc`, 'per_alloc', [
      'give each allocation the host volume named "<source>[<index>]"',
      'every allocation would share one directory',
    ]);
  for (const key of ['access_mode', 'attachment_mode', 'sticky'] as const) {
    if (v[key] === undefined || !ctx.written(`${vp}/${key}`)) continue;
    ctx.warning(
      'Argument not applied by drover',
      `${vp}/${key}`,
      `"${key}" of a host volume concerns Nomad's dynamic host volumes, which drover does not create; drover mounts the node's host_volume "${v.source ?? ''}" from drover.hcl regardless.`,
    );
  }
}

/** Process drivers without a chroot: the mount is not made (raw_exec is Nomad's own behaviour). */
const UNMOUNTED_DRIVERS = new Set(['exec', 'java']);

function checkVolumeMount(
  ctx: RuleContext,
  t: Task,
  m: NonNullable<Task['volume_mount']>[number],
  mp: string,
): void {
  if (m.selinux_label && ctx.written(`${mp}/selinux_label`))
    ctx.warning(
      'Argument not applied by drover',
      `${mp}/selinux_label`,
      'drover binds host volumes without relabelling them; label the host directory yourself (chcon) if SELinux enforces.',
    );
  // The task would look for its data at the destination and not find it: that changes what runs.
  if (UNMOUNTED_DRIVERS.has(t.driver ?? ''))
    ctx.blockRefusal(
      `volume_mount is not run by drover for the ${t.driver} driver`,
      mp,
      `drover's ${t.driver} driver runs the task without a chroot (it sees the host's file system), so it cannot mount the volume at "${m.destination ?? ''}" or enforce read_only; plan and apply refuse the job. Use the docker or podman driver, or raw_exec and read the host volume at its path on the host (as Nomad's raw_exec does).`,
    );
}

interface PortSet {
  labels: Map<string, string>; // label -> pointer of its port block
}

function networkPorts(networks: Network[] | undefined, base: string, into: PortSet): void {
  (networks ?? []).forEach((n, k) => {
    for (const kind of ['port', 'reserved_ports'] as const) {
      (n[kind] ?? []).forEach((p, m) => {
        if (!into.labels.has(p.label))
          into.labels.set(p.label, `${base}${pointer('network', k, kind, m)}`);
      });
    }
  });
}

function groupPorts(g: Group): PortSet {
  const set: PortSet = { labels: new Map() };
  networkPorts(g.network, '', set);
  return set;
}

/** nomad/structs TaskGroup.validateNetworks: port labels and static ports are unique. */
function checkNetworks(ctx: RuleContext, g: Group, gp: string): void {
  const labels = new Map<string, string>();
  // Static ports are unique per host network.
  const statics = new Map<string, string>();
  // A task's (legacy) network may not reuse a label of the group network, but Nomad registers
  // only the group's labels: two tasks may each have a port "http".
  const visit = (networks: Network[] | undefined, base: string, register: boolean) => {
    (networks ?? []).forEach((n, k) => {
      for (const kind of ['port', 'reserved_ports'] as const) {
        (n[kind] ?? []).forEach((p, m) => {
          const pp = `${base}${pointer('network', k, kind, m)}`;
          const other = labels.get(p.label);
          // Nomad: structs.go (*TaskGroup).validateNetworks
          if (other !== undefined) {
            ctx.blockError(
              `Port label ${p.label} already in use`,
              pp,
              `Port ${quote(p.label)} is already defined on line ${ctx.line(other)}.`,
            );
          } else if (register) labels.set(p.label, pp);
          if (p.static) {
            const key = `${p.host_network || 'default'}:${p.static}`;
            const prev = statics.get(key);
            // Nomad: structs.go (*TaskGroup).validateNetworks
            if (prev !== undefined) {
              ctx.error(
                `Static port ${p.static} already reserved`,
                ctx.where(`${pp}/static`, pp),
                `Port ${p.static} is already reserved on line ${ctx.line(prev)}.`,
              );
            } else statics.set(key, pp);
          }
        });
      }
    });
  };
  visit(g.network, gp, true);
  (g.task ?? []).forEach((t, j) =>
    visit(t.resources?.network, `${gp}${pointer('task', j, 'resources')}`, false),
  );
  // Nomad: no rule of its own (it accepts any mode and placement needs a node that has it).
  (g.network ?? []).forEach((n, k) => {
    if (n.mode && !/^(host|bridge|none|cni\/.+)$/.test(n.mode))
      ctx.warning(
        `Unknown network mode ${quote(n.mode)}`,
        `${gp}${pointer('network', k, 'mode')}`,
        'Nomad accepts the job, but only places it on a node that offers this mode ("host", "bridge", "none" or "cni/<name>"); drover does not use the mode.',
      );
  });
}

// ---------------------------------------------------------------------------------------------
// Services and checks

interface ServiceScope {
  ports: PortSet;
  taskNames: Set<string>;
  group: Group;
  /** Set for services of a task; group services have none. */
  task?: Task;
}

// nomad/structs: Consul service names are DNS labels; ${…} parts are checked as placeholders.
const SERVICE_NAME = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$/i;

function checkService(ctx: RuleContext, s: Service, sp: string, scope: ServiceScope): void {
  const name = s.name ?? '';
  const stripped = name.replace(/\$\{[^}]*\}/g, 'ENV-VAR');
  // Nomad: services.go (*Service).Validate and (*Service).ValidateName
  if (name && !SERVICE_NAME.test(stripped)) {
    ctx.error(
      'Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes',
      ctx.where(`${sp}/name`, sp),
      `${quote(name)} is not a valid service name (at most 63 letters, digits and dashes, not starting or ending with a dash).`,
    );
  }
  const inTask = scope.task !== undefined;
  if (s.port !== undefined && s.port !== '') {
    const numericOk = !inTask || s.address_mode === 'driver';
    checkPortRef(ctx, s.port, `${sp}/port`, scope.ports, scope.task, numericOk, inTask);
  }
  // Nomad: structs.go (*TaskGroup).validateServices: a task's service names only its task.
  if (inTask && s.task && s.task !== scope.task!.name) {
    ctx.error(
      `Service ${name} is invalid: may only specify task the service belongs to, got ${quote(s.task)}`,
      ctx.where(`${sp}/task`, sp),
    );
  }
  // Nomad checks the task of a group service's checks, not of the service itself: the job is
  // accepted, and what needs the task (a script check) fails when the allocation runs.
  if (!inTask && s.task && !scope.taskNames.has(s.task)) {
    ctx.warning(
      `Service ${quote(name)} refers to non-existent task ${s.task}`,
      ctx.where(`${sp}/task`, sp),
      `The group has no task ${quote(s.task)}. Nomad accepts the job, but checks that run in that task fail when the allocation runs.`,
    );
  }
  const names = new Set<string>();
  (s.check ?? []).forEach((c, k) => {
    const cp = `${sp}${pointer('check', k)}`;
    // Nomad: structs.go validateServices, for task services only; an unnamed check is named
    // after its service by services.go (*ServiceCheck).Canonicalize.
    const checkName = c.name ?? `service: ${quote(name)} check`;
    if (inTask && names.has(checkName))
      ctx.blockError(`check ${quote(checkName)} is duplicate`, cp);
    names.add(checkName);
    checkCheck(ctx, c, cp, s, scope);
  });
  if (s.connect)
    notSupported(ctx, `${sp}/connect`, 'connect', [
      'start the Consul Connect sidecar proxy or gateway',
      'the service would run outside the mesh and its upstreams would not exist',
    ]);
  if (s.identity) notRun(ctx, `${sp}/identity`, 'identity');
}

/**
 * A port a service, check or driver config names. Nomad checks the ports of task services and
 * their checks when it accepts a job (`nomadChecks`); other references (group services, docker
 * `ports`) it accepts and resolves only when the allocation starts: drover warns about those.
 */
function checkPortRef(
  ctx: RuleContext,
  port: string,
  ptr: string,
  ports: PortSet,
  task: Task | undefined,
  numericOk: boolean,
  nomadChecks: boolean,
): void {
  if (hasInterpolation(port)) return;
  const report = (summary: string, detail: string) => {
    // Nomad: structs.go validateServices (task services and their checks)
    if (nomadChecks) ctx.error(summary, ptr, detail);
    else
      ctx.warning(
        summary,
        ptr,
        `${detail} Nomad accepts the job, but the allocation fails when it starts and looks the port up.`,
      );
  };
  if (/^\d+$/.test(port)) {
    if (!numericOk)
      report(
        `Port ${port} is a number, not a port label`,
        'A numeric port is only valid with address_mode = "driver"; otherwise name a port of the group network.',
      );
    return;
  }
  if (ports.labels.has(port)) return;
  if (task && taskPorts(task).has(port)) return;
  const known = [...ports.labels.keys(), ...(task ? taskPorts(task) : [])];
  report(
    `Unknown port ${quote(port)}`,
    known.length > 0
      ? `No port labelled ${quote(port)} is defined in the group network; defined ports: ${known.map(quote).join(', ')}.`
      : `No port labelled ${quote(port)} is defined: add network { port ${quote(port)} {} } to the group.`,
  );
}

function taskPorts(t: Task): Set<string> {
  const set: PortSet = { labels: new Map() };
  networkPorts(t.resources?.network, '', set);
  return new Set(set.labels.keys());
}

const MIN_CHECK_INTERVAL = SECOND;
const MIN_CHECK_TIMEOUT = SECOND;

/** nomad/structs ServiceCheck.validate and the port rules of validateServices. */
function checkCheck(ctx: RuleContext, c: Check, cp: string, s: Service, scope: ServiceScope): void {
  const label = c.name ? quote(c.name) : `of service ${quote(s.name ?? '')}`;
  const type = c.type;
  // Nomad: services.go (*ServiceCheck).validateCommon, for the checks down to the timeout
  if (type === 'http' && !c.path) {
    ctx.blockError('http type must have http path', cp, `Check ${label} needs path = "/…".`);
  }
  if (type === 'script' && !c.command) {
    ctx.blockError(
      'script type must have a valid script path',
      cp,
      `Check ${label} needs command = "…".`,
    );
  }
  const interval = durationNanos(c.interval);
  // Nomad: services.go (*ServiceCheck).validateCommon
  if (interval === undefined || interval === 0) {
    ctx.blockError(
      `missing required value interval. Interval cannot be less than ${formatDuration(MIN_CHECK_INTERVAL)}`,
      cp,
    );
  } else if (interval < MIN_CHECK_INTERVAL) {
    ctx.error(
      `interval (${formatDuration(interval)}) cannot be lower than ${formatDuration(MIN_CHECK_INTERVAL)}`,
      ctx.where(`${cp}/interval`, cp),
    );
  }
  const timeout = durationNanos(c.timeout);
  // Nomad: services.go (*ServiceCheck).validateCommon
  if (timeout === undefined || timeout === 0) {
    ctx.blockError(
      `missing required value timeout. Timeout cannot be less than ${formatDuration(MIN_CHECK_TIMEOUT)}`,
      cp,
    );
  } else if (timeout < MIN_CHECK_TIMEOUT) {
    ctx.error(
      `timeout (${formatDuration(timeout)}) is lower than required minimum timeout ${formatDuration(MIN_CHECK_TIMEOUT)}`,
      ctx.where(`${cp}/timeout`, cp),
    );
  }
  checkDurations(ctx, c, cp, [], CHECK_DURATIONS);
  // Nomad: structs.go (*CheckRestart).Validate
  checkDurations(ctx, c.check_restart, `${cp}/check_restart`, ['grace']);

  const inTask = scope.task !== undefined;
  // Nomad: structs.go (*TaskGroup).validateServices (Nomad 1.3+): a task service's check
  // may name only its own task; a group service's check may name any existing task, whatever
  // its type (an http check with `task` and `expose` is valid), but not with address_mode
  // "driver".
  if (c.task !== undefined && c.task !== '') {
    if (inTask) {
      if (c.task !== scope.task!.name)
        ctx.error(
          `Check ${label} is invalid: may only specify task the check belongs to, got ${quote(c.task)}`,
          ctx.where(`${cp}/task`, cp),
          `A check of a service in task ${quote(scope.task!.name)} may only name that task.`,
        );
    } else {
      // Nomad: structs.go (*TaskGroup).validateServices
      if (c.address_mode === 'driver') {
        ctx.error(
          `Check ${label} invalid: cannot use address_mode="driver", only checks defined in a "task" service block can use this mode`,
          ctx.where(`${cp}/address_mode`, cp),
        );
      }
      // Nomad: structs.go (*TaskGroup).validateServices
      if (!scope.taskNames.has(c.task)) {
        ctx.error(
          `Check ${label} invalid: refers to non-existent task ${c.task}`,
          ctx.where(`${cp}/task`, cp),
        );
      }
    }
  }
  // Nomad: structs.go (*TaskGroup).validateScriptChecksInGroupServices
  if (!inTask && type === 'script' && !c.task && !s.task) {
    ctx.blockError(
      `Service [${scope.group.name}]->${s.name ?? ''} or Check ${c.name ?? ''} must specify task parameter`,
      cp,
      'A script check of a group service runs inside a task: set task = "…" on the check or the service.',
    );
  }

  // Only network checks need a port (services.go (*ServiceCheck).RequiresPort); they inherit
  // the service's.
  if (type !== 'http' && type !== 'tcp' && type !== 'grpc') return;
  if (c.port !== undefined && c.port !== '') {
    checkPortRef(
      ctx,
      c.port,
      `${cp}/port`,
      scope.ports,
      scope.task,
      !inTask || c.address_mode === 'driver',
      inTask,
    );
  } else if (s.port === undefined || s.port === '') {
    // Nomad: services.go (*Service).validateCheckPort (every service) and structs.go
    // validateServices (task services)
    ctx.blockError(
      `check ${label} is missing a port`,
      cp,
      `Neither the check nor service ${quote(s.name ?? '')} has a port: set port on the check or on its service.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Task

function checkTask(ctx: RuleContext, g: Group, t: Task, i: number, j: number): void {
  const tp = pointer('group', i, 'task', j);
  // Nomad: structs.go (*Task).Validate
  if (!t.driver) {
    ctx.blockError(
      'Missing task driver',
      tp,
      `Task ${quote(t.name)} needs a driver, such as driver = "docker" or driver = "exec".`,
    );
  }
  // Nomad: structs.go (*Task).Validate
  if (/[/\\]/.test(t.name)) ctx.blockError('Task name cannot include slashes', tp);
  checkPlacement(ctx, t, tp, 'task');
  checkNoNul(ctx, t.env, `${tp}/env`, 'An environment variable');
  checkNoNul(ctx, t.meta, `${tp}/meta`, 'A meta value (the task gets it as NOMAD_META_<key>)');
  checkResources(ctx, t, tp);
  checkLogs(ctx, g, t, tp, pointer('group', i));
  checkDurations(ctx, t, tp, TASK_DURATIONS);
  // The task policy is the group's with the task's settings over it (api/tasks.go
  // (*Task).Canonicalize). Nomad validates only the group's policy ((*TaskGroup).Validate;
  // (*Task).Validate has no restart rule), so a task's own settings are only parsed.
  if (t.restart && !sameSettings(t.restart, g.restart)) {
    checkDurations(ctx, t.restart, `${tp}/restart`, [], RESTART_DURATIONS);
  }

  const ports = groupPorts(g);
  const taskNames = new Set((g.task ?? []).map((x) => x.name));
  (t.service ?? []).forEach((s, k) =>
    checkService(ctx, s, `${tp}${pointer('service', k)}`, { ports, taskNames, group: g, task: t }),
  );
  checkDriverPorts(ctx, t, tp, ports);
  const payloadFile = t.dispatch_payload?.file;
  // Nomad: structs.go (*DispatchPayloadConfig).Validate
  if (payloadFile && escapesAllocDir(`task/local/${payloadFile}`))
    ctx.error(
      'dispatch_payload file escapes allocation directory',
      `${tp}/dispatch_payload/file`,
      `${quote(payloadFile)} is read from the task's local/ directory and may not leave the allocation's directory (nomad/structs DispatchPayloadConfig.Validate).`,
    );
  const env = knownTaskEnv({
    job: ctx.job.id,
    group: g.name,
    task: t.name,
    meta: { ...ctx.job.meta, ...g.meta, ...t.meta },
  });
  checkTemplates(ctx, t, tp, env);
  (t.artifact ?? []).forEach((a, k) =>
    checkArtifact(ctx, a, `${tp}${pointer('artifact', k)}`, env),
  );
  if (t.csi_plugin) {
    // Nomad: structs.go (*Task).Validate
    if (!t.csi_plugin.id)
      ctx.blockError('CSIPluginConfig must have a non-empty PluginID', `${tp}/csi_plugin`);
    notRun(ctx, `${tp}/csi_plugin`, 'csi_plugin');
    checkDurations(ctx, t.csi_plugin, `${tp}/csi_plugin`, [], ['health_timeout']);
  }
  if (t.vault) {
    const inherited =
      !ctx.written(`${tp}/vault`) && (g.vault !== undefined || ctx.job.vault !== undefined);
    if (!inherited) notSupported(ctx, `${tp}/vault`, 'vault', VAULT_NEEDS);
  }
  if (t.consul) notRun(ctx, `${tp}/consul`, 'consul');
  (t.resources?.device ?? []).forEach((d, k) => {
    const dp = `${tp}${pointer('resources', 'device', k)}`;
    (d.constraint ?? []).forEach((c, m) =>
      checkConstraint(ctx, c, `${dp}${pointer('constraint', m)}`),
    );
    (d.affinity ?? []).forEach((a, m) => checkAffinity(ctx, a, `${dp}${pointer('affinity', m)}`));
    notSupported(ctx, dp, 'device', [
      `place the task on a node with the device ${quote(d.name)} and pass it in`,
      'the task would run without the device',
    ]);
  });
  (t.scaling ?? []).forEach((_, k) => notRun(ctx, `${tp}${pointer('scaling', k)}`, 'scaling'));
  (t.identity ?? []).forEach((id, k) => {
    // Nomad: workload_id.go (*WorkloadIdentity).Validate
    checkDurations(ctx, id, `${tp}${pointer('identity', k)}`, ['ttl']);
    notRun(ctx, `${tp}${pointer('identity', k)}`, 'identity');
  });
  (t.secret ?? []).forEach((_, k) => notRun(ctx, `${tp}${pointer('secret', k)}`, 'secret'));
  if (t.schedule) notRun(ctx, `${tp}/schedule`, 'schedule');
}

/** Values a task gets in its environment, which cannot hold NUL (execve's strings end there). */
function checkNoNul(
  ctx: RuleContext,
  values: Record<string, unknown> | undefined,
  ptr: string,
  what: string,
): void {
  for (const [key, value] of Object.entries(values ?? {})) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      // Nomad accepts it and fails at the task's start; drover refuses it before it runs.
      ctx.refusal(
        'Invalid value',
        `${ptr}${pointer(key)}`,
        `${what} cannot contain a NUL character.`,
      );
    }
  }
}

function sameSettings(a: object, b: object | undefined): boolean {
  if (!b) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...keys].every((k) => ra[k] === rb[k]);
}

/** nomad/structs Resources.Validate and MeetsMinResources */
function checkResources(ctx: RuleContext, t: Task, tp: string): void {
  const r = t.resources;
  if (!r) return;
  const rp = `${tp}/resources`;
  const cpu = r.cpu ?? 0;
  const cores = r.cores ?? 0;
  const memory = r.memory ?? 0;
  // Nomad: structs.go (*Resources).Validate
  if (cores > 0 && cpu > 0) {
    ctx.error(
      "Task can only ask for 'cpu' or 'cores' resource, not both.",
      ctx.where(`${rp}/cores`, rp),
    );
  }
  // Nomad: structs.go (*Resources).MeetsMinResources
  if (cores === 0 && cpu < 1) {
    ctx.error(`minimum CPU value is 1; got ${cpu}`, ctx.where(`${rp}/cpu`, rp), 'cpu is in MHz.');
  }
  // Nomad: structs.go (*Resources).MeetsMinResources
  if (memory < 10) {
    ctx.error(
      `minimum MemoryMB value is 10; got ${memory}`,
      ctx.where(`${rp}/memory`, rp),
      'memory is in MB.',
    );
  }
  // Nomad: structs.go (*Resources).Validate: 0 (unset) and -1 (no limit) are sentinels.
  if (
    r.memory_max !== undefined &&
    r.memory_max !== 0 &&
    r.memory_max !== MEMORY_NO_LIMIT &&
    r.memory_max < memory
  ) {
    ctx.error(
      `MemoryMaxMB value (${r.memory_max}) should be larger than MemoryMB value (${memory})`,
      ctx.where(`${rp}/memory_max`, rp),
    );
  }
  // Nomad: command/agent/job_endpoint.go ApiResourcesToStructs drops a task's disk.
  if (r.disk !== undefined && r.disk > 0) {
    ctx.warning(
      'disk in task resources is ignored',
      `${rp}/disk`,
      'drover sizes scratch space per group, with ephemeral_disk { size = … }; this value has no effect.',
    );
  }
}

/** nomad/structs LogConfig.Validate and the log-versus-disk check of Task.Validate. */
function checkLogs(ctx: RuleContext, g: Group, t: Task, tp: string, gp: string): void {
  const l = t.logs;
  // Nomad checks the sizes even when logs are disabled (the defaults still apply).
  if (!l) return;
  const files = l.max_files ?? 10;
  const size = l.max_file_size ?? 10;
  const disk = g.ephemeral_disk?.size ?? 300;
  // Nomad: structs.go (*LogConfig).Validate, called by (*Task).Validate
  if (files * size >= disk) {
    ctx.error(
      `log storage (${files * size} MB) must be less than requested disk capacity (${disk} MB)`,
      ctx.where(`${tp}/logs`, `${gp}/ephemeral_disk/size`, tp),
      'Logs take max_files × max_file_size MB of the group ephemeral_disk.',
    );
  }
}

/** Docker and Podman publish `config { ports = [...] }`, which name ports of the group network. */
function checkDriverPorts(ctx: RuleContext, t: Task, tp: string, ports: PortSet): void {
  if (t.driver !== 'docker' && t.driver !== 'podman') return;
  const list: unknown = t.config?.ports;
  if (!Array.isArray(list)) return;
  (list as unknown[]).forEach((p, k) => {
    if (typeof p !== 'string') return;
    checkPortRef(ctx, p, `${tp}${pointer('config', 'ports', k)}`, ports, t, false, false);
  });
}

const VAULT_FUNCS = new Set(['secret', 'secrets', 'pkiCert']);

/**
 * Where a position inside a template's `data` is in the file: a heredoc's text starts on the
 * line after its `<<EOF`; a quoted string's on its own line, one column after the quote (each
 * `\n` escape there stands for two source characters). Columns inside a `<<-` heredoc are
 * counted from its indentation.
 */
export function positionInData(
  data: string,
  value: SourceRange,
  line: number,
  column: number,
): SourceRange {
  let pos: { line: number; column: number };
  if (value.end.line > value.start.line) {
    pos = { line: value.start.line + line, column };
  } else {
    const before = data.split('\n').slice(0, line - 1);
    const offset = before.reduce((n, l) => n + l.length + 2, 0) + column - 1;
    pos = { line: value.start.line, column: value.start.column + 1 + offset };
  }
  const at = { ...pos, byte: value.start.byte };
  return { filename: value.filename, start: at, end: at };
}
/** Go's strconv.ParseUint(s, 8, 12): octal digits, at most 0o7777. */
const isOctalPerms = (s: string): boolean => /^[0-7]+$/.test(s) && parseInt(s, 8) <= 0o7777;

/** A template's or artifact's destination outside the task's sandbox (rules-sandbox.ts). */
function checkDestination(ctx: RuleContext, v: SandboxVerdict, ptr: string): void {
  // Nomad: structs.go (*Template).Validate and (*TaskArtifact).Validate
  // (escapingfs.PathEscapesAllocViaRelative); template.go parseTemplateConfigs and
  // getter.go (taskenv.ClientPath) for one that leaves the task and alloc/ directories
  if (v.kind === 'error') ctx.error(v.summary, ptr, v.detail);
  else if (v.kind === 'refusal') ctx.refusal(v.summary, ptr, v.detail);
}

function checkTemplates(ctx: RuleContext, t: Task, tp: string, env: KnownEnv): void {
  const dests = new Map<string, string>();
  (t.template ?? []).forEach((tmpl: Template, k) => {
    const mp = `${tp}${pointer('template', k)}`;
    // Nomad: structs.go (*Template).Validate
    if (!tmpl.source && !tmpl.data) {
      ctx.blockError(
        'Must specify a source path or have an embedded template',
        mp,
        'Set source = "…" or data = "…".',
      );
    }
    // Nomad: structs.go (*Template).Validate
    if (!tmpl.destination) {
      ctx.blockError(
        'Must specify a destination for the template',
        mp,
        'Set destination = "local/…".',
      );
    } else {
      const prev = dests.get(tmpl.destination);
      // Nomad: structs.go (*Task).Validate
      if (prev !== undefined) {
        ctx.error(
          `Template has same destination as another template`,
          ctx.where(`${mp}/destination`, mp),
          `${quote(tmpl.destination)} is also written by the template on line ${ctx.line(prev)}.`,
        );
      } else dests.set(tmpl.destination, mp);
      // Nomad: structs.go (*Template).Validate, and the client's template manager
      checkDestination(
        ctx,
        destinationVerdict('template', tmpl.destination, env),
        ctx.where(`${mp}/destination`, mp),
      );
    }
    // Nomad: structs.go (*Template).Validate
    if (tmpl.change_mode === 'signal') {
      if (!tmpl.change_signal)
        ctx.blockError('Must specify signal value when change mode is signal', mp);
      if (tmpl.env)
        ctx.error('cannot use signals with env var templates', ctx.where(`${mp}/change_mode`, mp));
    }
    // Nomad: structs.go (*Template).Validate and (*ChangeScript).Validate
    if (tmpl.change_mode === 'script' && !tmpl.change_script?.command) {
      ctx.blockError(
        'must specify change script configuration value when change mode is script',
        mp,
      );
    }
    // Nomad: structs.go (*Template).Validate (strconv.ParseUint(perms, 8, 12))
    if (tmpl.perms !== undefined && tmpl.perms !== '' && !isOctalPerms(tmpl.perms)) {
      ctx.error(`Failed to parse ${quote(tmpl.perms)} as octal`, ctx.where(`${mp}/perms`, mp));
    }
    const wait = tmpl.wait;
    const min = durationNanos(wait?.min);
    const max = durationNanos(wait?.max);
    // Nomad: structs.go (*WaitConfig).Validate
    if (min !== undefined && max !== undefined && min > max) {
      ctx.error(
        'wait min must be less than or equal to max',
        ctx.where(`${mp}/wait/min`, `${mp}/wait`, mp),
      );
    }
    checkDurations(ctx, tmpl, mp, TEMPLATE_DURATIONS, ['vault_grace']);
    checkDurations(ctx, tmpl.wait, `${mp}/wait`, [], ['min', 'max']);
    checkDurations(ctx, tmpl.change_script, `${mp}/change_script`, [], ['timeout']);
    checkTemplateText(ctx, tmpl, mp);
    // consul-template's quiescence timers apply to watched changes; drover renders at plan and apply.
    if (tmpl.wait && ctx.written(`${mp}/wait`))
      ctx.warning(
        'template wait has no effect in drover',
        `${mp}/wait`,
        'drover renders templates when it plans and applies, not continuously, so there are no changes in quick succession to wait out.',
      );
    for (const key of ['error_mode', 'on_render_error'] as const)
      if (tmpl[key] !== undefined)
        ctx.blockRefusal(
          `template ${key} is not built in drover`,
          `${mp}/${key}`,
          'drover does not choose what a render error does: it fails the plan, or the task at apply, at once. Remove the setting; plan and apply refuse the job while it is there.',
        );
  });
}

/**
 * A template's own text: a parse error is an error at its line in the file, and Consul or Vault
 * functions (never an empty render) are refused by plan and apply at their line. A `source`
 * template is read on the host at apply, so it is checked then.
 */
function checkTemplateText(ctx: RuleContext, tmpl: Template, mp: string): void {
  if (!tmpl.data) return;
  // Text without an action is all literal: it parses, and calls nothing.
  if (!tmpl.data.includes(tmpl.left_delimiter || '{{')) return;
  const checked = checkTemplate(tmpl.data, tmpl.left_delimiter, tmpl.right_delimiter);
  if (checked.ok && checked.consulVault.length === 0) return;
  const value = ctx.ranges.valueRange(ctx.where(`${mp}/data`, mp));
  const at = (line: number, column: number) => positionInData(tmpl.data!, value, line, column);
  if (!checked.ok) {
    ctx.errorAt(
      `template: ${checked.message}`,
      at(checked.line, checked.column),
      `The template of ${quote(tmpl.destination ?? '')} does not parse (Go text/template syntax).`,
    );
    return;
  }
  for (const f of checked.consulVault)
    ctx.refusalAt(
      `template function "${f.name}" reads ${VAULT_FUNCS.has(f.name) ? 'Vault' : 'Consul'}, which drover does not use`,
      at(f.line, f.column),
      `drover renders templates itself, without Consul or Vault, so ${quote(tmpl.destination ?? '')} cannot be rendered; plan and apply refuse the job. Use nomadVar for secrets (drover var put) and nomadService for service addresses.`,
    );
}

// ---------------------------------------------------------------------------------------------
// Durations

// Nomad: structs.go (*UpdateStrategy).Validate and (*MigrateStrategy).Validate bound these.
const UPDATE_DURATIONS = ['stagger', 'min_healthy_time', 'healthy_deadline', 'progress_deadline'];
const MIGRATE_DURATIONS = ['min_healthy_time', 'healthy_deadline'];
// Bounded by (*ReschedulePolicy).Validate only when rescheduling is on (checkReschedule).
const RESCHEDULE_DURATIONS = ['interval', 'delay', 'max_delay'];
// (*RestartPolicy).Validate bounds the interval; a negative delay passes.
const RESTART_DURATIONS = ['interval', 'delay'];
// Nomad: group.go (*DisconnectStrategy).Validate
const DISCONNECT_DURATIONS = ['lost_after', 'stop_on_client_after'];
// Nomad: structs.go (*Job).Validate and (*TaskGroup).Validate
const GROUP_DURATIONS = ['shutdown_delay', 'stop_after_client_disconnect', 'max_client_disconnect'];
// Nomad: structs.go (*Task).Validate
const TASK_DURATIONS = ['kill_timeout', 'shutdown_delay'];
// Bounded (at 1s) by services.go (*ServiceCheck).validateCommon (checkCheck).
const CHECK_DURATIONS = ['interval', 'timeout'];
// Nomad: structs.go (*Template).Validate bounds the splay only.
const TEMPLATE_DURATIONS = ['splay'];

/**
 * Every duration must parse as a Go duration. Those in `keys` must not be negative either:
 * Nomad rejects negative values for them ("KillTimeout must be a positive value", …); those in
 * `free` it accepts below zero, or bounds with a rule of its own (restart, reschedule, checks).
 */
function checkDurations(
  ctx: RuleContext,
  obj: object | undefined,
  base: string,
  keys: readonly string[],
  free: readonly string[] = [],
): void {
  if (!obj) return;
  const rec = obj as Record<string, unknown>;
  for (const key of [...keys, ...free]) {
    const v = rec[key] as Duration | null;
    if (v === undefined || v === null) continue;
    const ptr = `${base}/${key}`;
    const bounded = keys.includes(key);
    if (typeof v === 'string') {
      const r = parseDuration(v);
      // Nomad: jobspec2/hcl_conversions.go decodeDuration (time.ParseDuration)
      if (!r.ok) {
        ctx.error(
          'Invalid duration',
          ptr,
          `${r.error}. Durations look like "30s", "1m30s" or "2h".`,
        );
        continue;
      }
      // Nomad: structs.go and group.go, the Validate methods named at the lists above
      if (bounded && r.nanos < 0)
        ctx.error(`${key} must not be negative`, ptr, `Got ${formatDuration(r.nanos)}.`);
    } else if (bounded && typeof v === 'number' && v < 0) {
      // Nomad: structs.go and group.go, the Validate methods named at the lists above
      ctx.error(`${key} must not be negative`, ptr, `Got ${formatDuration(v)}.`);
    }
  }
}
