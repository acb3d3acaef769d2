/**
 * Nomad's defaults, filled into a decoded job the way Nomad's `api` package `Canonicalize`
 * methods do (api/jobs.go, api/tasks.go, api/resources.go, api/services.go), plus the few the
 * server adds when a job is registered (nomad/structs). Nothing here is drover's own choice.
 *
 * The result keeps every block at the JSON pointer it was decoded at, so source ranges recorded
 * for the decoded job still point at the right place; blocks are only added or filled in.
 */
import { cloneValue } from '../hcl/value.js';
import type {
  Affinity,
  Artifact,
  Check,
  CheckRestart,
  Constraint,
  Group,
  Job,
  Migrate,
  Network,
  Reschedule,
  Resources,
  Restart,
  Service,
  Spread,
  Task,
  Template,
  Update,
  Vault,
} from '../generated/jobspec.js';
import { durationNanos } from './duration.js';

type JobType = NonNullable<Job['type']>;

/** Returns a new job with Nomad's defaults filled in; the input is not modified. */
export function applyDefaults(input: Job): Job {
  const job = cloneValue(input);
  canonicalizeJob(job);
  return job;
}

/** Sets obj[key] to value when the key is absent. */
function fill<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): void {
  if (obj[key] === undefined) obj[key] = value;
}

/** Copies the keys of `over` that are set onto a copy of `base` (Nomad's `Merge` methods). */
function merge<T extends object>(base: T | undefined, over: T | undefined): T {
  const out = { ...(base ?? {}) } as T;
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

function canonicalizeJob(job: Job): void {
  // api/jobs.go Job.Canonicalize
  fill(job, 'name', job.id);
  fill(job, 'namespace', 'default');
  fill(job, 'priority', 50);
  fill(job, 'region', 'global');
  fill(job, 'type', 'service');
  fill(job, 'all_at_once', false);
  // nomad/structs Job.Canonicalize (Nomad 1.5+): no datacenters means every datacenter.
  if (!job.datacenters || job.datacenters.length === 0) job.datacenters = ['*'];
  // nomad/job_endpoint_hooks.go: jobs without a node pool run in the "default" pool.
  if (!job.node_pool) job.node_pool = 'default';
  const type = job.type ?? 'service';

  // jobspec2/parse_job.go normalizeJob: a task outside any group becomes a group of its own.
  // Nomad puts those first; drover appends them so decoded group pointers stay valid.
  if (job.task && job.task.length > 0) {
    job.group = [...(job.group ?? []), ...job.task.map((t) => ({ name: t.name, task: [t] }))];
    delete job.task;
  }

  if (job.periodic) {
    // api/jobs.go PeriodicConfig.Canonicalize
    fill(job.periodic, 'enabled', true);
    fill(job.periodic, 'prohibit_overlap', false);
    if (!job.periodic.time_zone) job.periodic.time_zone = 'UTC';
  }
  // nomad/structs ParameterizedJobConfig.Canonicalize
  if (job.parameterized) fill(job.parameterized, 'payload', 'optional');

  // api/jobs.go Job.Canonicalize: the job update is canonicalized; service jobs get one.
  if (job.update) canonicalizeUpdate(job.update);
  else if (type === 'service') job.update = defaultUpdate();

  if (job.multiregion) {
    // api/jobs.go Multiregion.Canonicalize
    job.multiregion.strategy = merge({ max_parallel: 0, on_failure: '' }, job.multiregion.strategy);
    for (const r of job.multiregion.region ?? []) {
      fill(r, 'count', 1);
      fill(r, 'datacenters', []);
    }
  }

  for (const c of job.constraint ?? []) normalizeConstraint(c);
  for (const a of job.affinity ?? []) canonicalizeAffinity(a);
  for (const s of job.spread ?? []) canonicalizeSpread(s);
  for (const g of job.group ?? []) canonicalizeGroup(g, job, type);
}

/** api/jobs.go DefaultUpdateStrategy */
function defaultUpdate(): Update {
  return {
    stagger: '30s',
    max_parallel: 1,
    health_check: 'checks',
    min_healthy_time: '10s',
    healthy_deadline: '5m',
    progress_deadline: '10m',
    auto_revert: false,
    canary: 0,
    auto_promote: false,
  };
}

/** api/jobs.go UpdateStrategy.Canonicalize */
function canonicalizeUpdate(u: Update): void {
  for (const [k, v] of Object.entries(defaultUpdate())) {
    fill(u as Record<string, unknown>, k, v);
  }
}

const isZero = (d: string | number | undefined): boolean => (durationNanos(d) ?? 0) === 0;

/** api/jobs.go UpdateStrategy.Empty: true when nothing in it is set to a non-zero value. */
function updateIsEmpty(u: Update): boolean {
  return (
    isZero(u.stagger) &&
    !u.max_parallel &&
    !u.health_check &&
    isZero(u.min_healthy_time) &&
    isZero(u.healthy_deadline) &&
    isZero(u.progress_deadline) &&
    !u.auto_revert &&
    !u.auto_promote &&
    !u.canary
  );
}

/** api/tasks.go defaultServiceJobRestartPolicy and defaultBatchJobRestartPolicy */
function defaultRestart(type: JobType): Restart {
  return type === 'service' || type === 'system'
    ? { delay: '15s', attempts: 2, interval: '30m', mode: 'fail', render_templates: false }
    : { delay: '15s', attempts: 3, interval: '24h', mode: 'fail', render_templates: false };
}

/** api/tasks.go NewDefaultReschedulePolicy */
function defaultReschedule(type: JobType, written: boolean): Reschedule | undefined {
  if (type === 'service')
    return {
      delay: '30s',
      delay_function: 'exponential',
      max_delay: '1h',
      unlimited: true,
      attempts: 0,
      interval: '0s',
    };
  if (type === 'batch')
    return {
      attempts: 1,
      interval: '24h',
      delay: '5s',
      delay_function: 'constant',
      max_delay: '0s',
      unlimited: false,
    };
  // system and sysbatch jobs are not rescheduled. For sysbatch the api fills an all-zero,
  // disabled policy, which means the same as none: drover fills it only under a written block
  // (the rules warn about it), so that block still has every setting ("constant" stands in for
  // the api's empty delay function, which the schema does not allow).
  if (type === 'sysbatch' && written)
    return {
      attempts: 0,
      interval: '0s',
      delay: '0s',
      delay_function: 'constant',
      max_delay: '0s',
      unlimited: false,
    };
  return undefined;
}

/** api/tasks.go DefaultMigrateStrategy */
const defaultMigrate = (): Migrate => ({
  max_parallel: 1,
  health_check: 'checks',
  min_healthy_time: '10s',
  healthy_deadline: '5m',
});

function canonicalizeGroup(g: Group, job: Job, type: JobType): void {
  // api/tasks.go TaskGroup.Canonicalize
  fill(g, 'count', g.scaling?.min ?? 1);
  if (g.scaling) {
    // api/scaling.go ScalingPolicy.Canonicalize; jobspec2 sets the group policy type.
    fill(g.scaling, 'enabled', true);
    fill(g.scaling, 'min', g.count);
    fill(g.scaling, 'type', 'horizontal');
  }
  // api/tasks.go DefaultEphemeralDisk / EphemeralDisk.Canonicalize
  g.ephemeral_disk = merge({ sticky: false, migrate: false, size: 300 }, g.ephemeral_disk);

  // The group update is the job update with the group's settings over it.
  if (job.update && g.update) g.update = merge(job.update, g.update);
  else if (job.update && !updateIsEmpty(job.update)) g.update = { ...job.update };
  if (g.update) canonicalizeUpdate(g.update);

  // The group reschedule policy is the job's with the group's over it, else the default.
  if (job.reschedule || g.reschedule) g.reschedule = merge(job.reschedule, g.reschedule);
  const rescheduleDefault = defaultReschedule(type, g.reschedule !== undefined);
  if (rescheduleDefault) g.reschedule = merge(rescheduleDefault, g.reschedule);

  // Migrate: the job's with the group's over it; service groups always get one.
  if (job.migrate || g.migrate) g.migrate = merge(job.migrate, g.migrate);
  else if (type === 'service') g.migrate = {};
  if (g.migrate) g.migrate = merge(defaultMigrate(), g.migrate);

  g.restart = merge(defaultRestart(type), g.restart);
  fill(g, 'prevent_reschedule_on_lost', false);

  if (g.disconnect) {
    // api/tasks.go DisconnectStrategy.Canonicalize
    fill(g.disconnect, 'replace', true);
    fill(g.disconnect, 'reconcile', 'best_score');
  }

  // jobspec2 decodeTaskGroup: a group-level vault block applies to tasks without their own.
  const vault = g.vault ?? job.vault;
  for (const t of g.task ?? []) {
    if (vault && !t.vault) t.vault = cloneValue(vault);
    canonicalizeTask(t, g, job);
  }
  for (const c of g.constraint ?? []) normalizeConstraint(c);
  for (const s of g.spread ?? []) canonicalizeSpread(s);
  for (const a of g.affinity ?? []) canonicalizeAffinity(a);
  for (const n of g.network ?? []) canonicalizeNetwork(n);
  for (const s of g.service ?? []) canonicalizeService(s, `${job.name ?? job.id}-${g.name}`);
}

/** nomad/structs NetworkResource.Canonicalize: ports without a host network use "default". */
function canonicalizeNetwork(n: Network): void {
  for (const p of [...(n.port ?? []), ...(n.reserved_ports ?? [])])
    fill(p, 'host_network', 'default');
}

function canonicalizeTask(t: Task, g: Group, job: Job): void {
  // api/tasks.go Task.Canonicalize
  t.resources = canonicalizeResources(t.resources ?? {});
  fill(t, 'kill_timeout', '5s');
  fill(t, 'leader', false);
  // api/tasks.go DefaultLogConfig / LogConfig.Canonicalize
  t.logs = merge({ max_files: 10, max_file_size: 10, disabled: false }, t.logs);
  for (const a of t.artifact ?? []) canonicalizeArtifact(a);
  if (t.vault) canonicalizeVault(t.vault);
  for (const tmpl of t.template ?? []) canonicalizeTemplate(tmpl);
  for (const s of t.service ?? [])
    canonicalizeService(s, `${job.name ?? job.id}-${g.name}-${t.name}`);
  for (const a of t.affinity ?? []) canonicalizeAffinity(a);
  for (const c of t.constraint ?? []) normalizeConstraint(c);
  for (const vm of t.volume_mount ?? []) {
    // api/tasks.go VolumeMount.Canonicalize
    fill(vm, 'propagation_mode', 'private');
    fill(vm, 'read_only', false);
    fill(vm, 'selinux_label', '');
  }
  // api/tasks.go: a lifecycle block without a hook is dropped.
  if (t.lifecycle && !t.lifecycle.hook) delete t.lifecycle;
  if (t.csi_plugin) {
    // api/tasks.go TaskCSIPluginConfig.Canonicalize
    if (!t.csi_plugin.mount_dir) t.csi_plugin.mount_dir = '/csi';
    if (!t.csi_plugin.stage_publish_base_dir) t.csi_plugin.stage_publish_base_dir = '/local/csi';
    if (isZero(t.csi_plugin.health_timeout)) t.csi_plugin.health_timeout = '30s';
  }
  // The task restart policy is the group's with the task's settings over it.
  t.restart = merge(g.restart, t.restart);
  for (const n of t.resources.network ?? []) canonicalizeNetwork(n);
}

/** api/resources.go Resources.Canonicalize and DefaultResources */
function canonicalizeResources(r: Resources): Resources {
  if (r.cores === undefined) {
    r.cores = 0;
    // cpu defaults only when neither cpu nor cores is given.
    fill(r, 'cpu', 100);
  }
  fill(r, 'cpu', 0);
  fill(r, 'memory', 300);
  for (const d of r.device ?? []) {
    // api/resources.go RequestedDevice.Canonicalize
    fill(d, 'count', 1);
    for (const a of d.affinity ?? []) canonicalizeAffinity(a);
    for (const c of d.constraint ?? []) normalizeConstraint(c);
  }
  return r;
}

/** api/tasks.go TaskArtifact.Canonicalize */
function canonicalizeArtifact(a: Artifact): void {
  fill(a, 'mode', 'any');
  fill(a, 'insecure', false);
  if (a.destination === undefined) {
    // File mode lands in local/<last path element of the source>; everything else in local/.
    const base = (a.source ?? '').split('/').filter(Boolean).pop();
    a.destination = a.mode === 'file' ? (base ? `local/${base}` : 'local') : 'local/';
  }
}

/** api/tasks.go Vault.Canonicalize */
function canonicalizeVault(v: Vault): void {
  fill(v, 'env', true);
  fill(v, 'disable_file', false);
  fill(v, 'namespace', '');
  if (!v.cluster) v.cluster = 'default';
  fill(v, 'change_mode', 'restart');
  fill(v, 'change_signal', 'SIGHUP');
  fill(v, 'allow_token_expiration', false);
}

/**
 * api/tasks.go Template.Canonicalize. (The api also sets absent source, destination and data
 * to "": drover leaves them absent, which means the same.)
 */
function canonicalizeTemplate(t: Template): void {
  fill(t, 'change_mode', 'restart');
  if (t.change_signal !== undefined) t.change_signal = t.change_signal.toUpperCase();
  else if (t.change_mode === 'signal') t.change_signal = 'SIGHUP';
  if (t.change_script) {
    // api/tasks.go ChangeScript.Canonicalize
    fill(t.change_script, 'args', []);
    fill(t.change_script, 'timeout', '5s');
    fill(t.change_script, 'fail_on_error', false);
  }
  fill(t, 'splay', '5s');
  fill(t, 'perms', '0644');
  fill(t, 'left_delimiter', '{{');
  fill(t, 'right_delimiter', '}}');
  fill(t, 'env', false);
  fill(t, 'error_on_missing_key', false);
}

/** api/services.go Service.Canonicalize; `defaultName` is "<job>-<group>[-<task>]". */
function canonicalizeService(s: Service, defaultName: string): void {
  if (!s.name) s.name = defaultName;
  if (!s.address_mode) s.address_mode = 'auto';
  if (!s.on_update) s.on_update = 'require_healthy';
  if (!s.provider) s.provider = 'consul';
  if (!s.cluster) s.cluster = 'default';
  if (s.weights) {
    // api/services.go ServiceWeights.Canonicalize
    if (!s.weights.passing || s.weights.passing <= 0) s.weights.passing = 1;
    if (!s.weights.warning || s.weights.warning <= 0) s.weights.warning = 1;
  }
  for (const c of s.check ?? []) canonicalizeCheck(c, s);
}

function canonicalizeCheck(c: Check, s: Service): void {
  // The service's check_restart applies to every check, the check's own settings win.
  if (s.check_restart || c.check_restart) {
    const merged: CheckRestart = mergeCheckRestart(s.check_restart, c.check_restart);
    // api/services.go CheckRestart.Canonicalize
    fill(merged, 'grace', '1s');
    fill(merged, 'limit', 0);
    fill(merged, 'ignore_warnings', false);
    c.check_restart = merged;
  }
  // Negative thresholds mean zero.
  if (c.success_before_passing !== undefined && c.success_before_passing < 0)
    c.success_before_passing = 0;
  if (c.failures_before_critical !== undefined && c.failures_before_critical < 0)
    c.failures_before_critical = 0;
  if (c.failures_before_warning !== undefined && c.failures_before_warning < 0)
    c.failures_before_warning = 0;
  if (!c.on_update) c.on_update = s.on_update;
}

/** api/services.go CheckRestart.Merge: only a positive limit or a true flag overrides. */
function mergeCheckRestart(base?: CheckRestart, over?: CheckRestart): CheckRestart {
  if (!base) return { ...over };
  const out = { ...base };
  if (!over) return out;
  if (over.limit !== undefined && over.limit > 0) out.limit = over.limit;
  if (over.grace !== undefined) out.grace = over.grace;
  if (over.ignore_warnings) out.ignore_warnings = over.ignore_warnings;
  return out;
}

/** api/tasks.go Affinity.Canonicalize plus jobspec2's shorthand operators. */
function canonicalizeAffinity(a: Affinity): void {
  normalizeShorthands(a as Record<string, unknown>, AFFINITY_SHORTHANDS);
  fill(a, 'operator', '=');
  fill(a, 'weight', 50);
}

/** api/tasks.go Spread.Canonicalize */
function canonicalizeSpread(s: Spread): void {
  fill(s, 'weight', 50);
}

const AFFINITY_SHORTHANDS = [
  'version',
  'semver',
  'regexp',
  'set_contains_any',
  'set_contains_all',
  'set_contains',
] as const;
const CONSTRAINT_SHORTHANDS = ['version', 'semver', 'regexp', 'set_contains'] as const;

/**
 * jobspec2 decodeConstraint: the shorthand attributes (`distinct_hosts = true`,
 * `version = ">= 1.2"`, …) become operator and value; the operator defaults to "=".
 */
function normalizeConstraint(c: Constraint): void {
  const rec = c as Record<string, unknown>;
  normalizeShorthands(rec, CONSTRAINT_SHORTHANDS);
  if (c.distinct_hosts === true) c.operator = 'distinct_hosts';
  delete c.distinct_hosts;
  if (c.distinct_property) {
    c.operator = 'distinct_property';
    c.attribute = c.distinct_property;
  }
  delete c.distinct_property;
  // jobspec2 reads set_contains_all/any and is_set/is_not_set in a constraint but does not act
  // on them; they stay in place so the rules can say so.
  fill(c, 'operator', '=');
}

/** Later shorthands win, as in jobspec2 where each one overwrites operator and value. */
function normalizeShorthands(rec: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    const v = rec[key];
    if (typeof v === 'string' && v !== '') {
      rec.operator = key;
      rec.value = v;
    }
    delete rec[key];
  }
}
