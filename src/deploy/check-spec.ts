/**
 * The health checks of one allocation, as drover runs them: every `check` of the group's and
 * the tasks' `service` blocks, with port labels resolved to the allocation's host ports and
 * durations in milliseconds. Pure: job, group and allocation in, a list of specs out.
 */
import type {
  NormalizedCheck as Check,
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedService as Service,
} from '../generated/normalized-job.js';
import type { Allocation } from '../state/types.js';
import { hookOf, isEphemeralHook } from './lifecycle.js';
import { interpolate, type InterpolationScope } from './taskenv.js';

/** A main task or a sidecar: what runs while the allocation's health is judged. */
const runsBesideMain = (t: Group['task'][number]): boolean =>
  !isEphemeralHook(t) && hookOf(t) !== 'poststop';

export type CheckStatus = 'passing' | 'warning' | 'critical';
export type CheckType = 'http' | 'tcp' | 'script';
export type CheckOnUpdate = 'require_healthy' | 'ignore_warnings' | 'ignore';

export interface CheckRestartSpec {
  /** Consecutive unhealthy results that restart the task; at least 1 (0 means no spec at all). */
  limit: number;
  /** After a (re)start, results do not count for this long. */
  grace_ms: number;
  /** A warning counts as healthy. */
  ignore_warnings: boolean;
}

export interface CheckSpec {
  /** Unique within the allocation: `<service>/<check>`, with `#n` added for repeated names. */
  id: string;
  name: string;
  /**
   * How messages name the check: `check "index" (service "web")`, or `http check (service
   * "web")` for one without a name of its own (its name, Nomad's `service: "web" check`, would
   * read badly quoted again).
   */
  label: string;
  /** The service the check belongs to. */
  service: string;
  /** `grpc` checks run as `tcp` connect checks, as Nomad's own checker does. */
  type: CheckType;
  /** The task a script check runs in and a check_restart restarts; none: the whole allocation. */
  task?: string;
  /** The resolved host port (http, tcp). */
  port?: number;
  /** Host to connect to on the node; none: the transport's loopback. */
  address?: string;
  path?: string;
  method?: string;
  header?: Record<string, string[]>;
  body?: string;
  protocol?: 'http' | 'https';
  tls_server_name?: string;
  tls_skip_verify?: boolean;
  interval_ms: number;
  timeout_ms: number;
  success_before_passing: number;
  failures_before_critical: number;
  failures_before_warning: number;
  initial_status?: CheckStatus;
  on_update: CheckOnUpdate;
  /** Whose status rules an http check follows (`consul`: 429 is a warning). */
  provider: 'consul' | 'nomad';
  command?: string;
  args?: string[];
  check_restart?: CheckRestartSpec;
}

/** Consul's defaults for checks that leave them out (Nomad's validation asks for both). */
const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_TIMEOUT_MS: Record<CheckType, number> = { http: 10_000, tcp: 10_000, script: 30_000 };

/**
 * Builds the specs of every check of the group's and its tasks' services. `scope`, when
 * given, interpolates runtime references (`${NOMAD_PORT_http}`, `${NOMAD_ALLOC_ID}` …) in
 * the check's strings with the environment of the named task (undefined: a group service).
 */
export function checksOf(
  job: Job,
  group: Group,
  alloc: Allocation,
  scope?: (task: string | undefined) => InterpolationScope,
): CheckSpec[] {
  const specs: CheckSpec[] = [];
  const seen = new Map<string, number>();
  const add = (service: Service, check: Check, owner: string | undefined) => {
    const spec = specOf(job, group, alloc, service, check, owner, scope);
    if (!spec) return;
    const base = `${spec.service}/${spec.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const what = check.name !== undefined ? `check "${spec.name}"` : `${check.type} check`;
    const label = `${what}${n === 1 ? '' : ` #${n}`} (service "${spec.service}")`;
    specs.push({ ...spec, id: n === 1 ? base : `${base}#${n}`, label });
  };
  // Health ignores hooks that do not run beside the main tasks (Nomad's allochealth tracker):
  // an ephemeral prestart task has ended before they start, a poststop one starts after them.
  const beside = new Set(group.task.filter(runsBesideMain).map((t) => t.name));
  for (const service of group.service ?? [])
    for (const check of service.check ?? []) {
      const owner = check.task ?? service.task;
      if (owner === undefined || owner === '' || beside.has(owner)) add(service, check, owner);
    }
  for (const task of group.task.filter(runsBesideMain))
    for (const service of task.service ?? [])
      for (const check of service.check ?? []) add(service, check, task.name);
  return specs;
}

function specOf(
  job: Job,
  group: Group,
  alloc: Allocation,
  service: Service,
  check: Check,
  task: string | undefined,
  scope: ((task: string | undefined) => InterpolationScope) | undefined,
): Omit<CheckSpec, 'id' | 'label'> | undefined {
  const type = checkType(check.type);
  if (!type) return undefined;
  const vars = scope?.(task);
  const text = (s: string): string => (vars ? interpolate(s, vars) : s);
  const serviceName = text(service.name);
  const spec: Omit<CheckSpec, 'id' | 'label'> = {
    // api/services.go names an unnamed check after its service.
    name: text(check.name ?? `service: "${serviceName}" check`),
    service: serviceName,
    type,
    interval_ms: positiveMs(check.interval) ?? DEFAULT_INTERVAL_MS,
    timeout_ms: positiveMs(check.timeout) ?? DEFAULT_TIMEOUT_MS[type],
    success_before_passing: nonNegative(check.success_before_passing),
    failures_before_critical: nonNegative(check.failures_before_critical),
    // Consul: without its own threshold a failing check warns when it would turn critical.
    failures_before_warning: nonNegative(
      check.failures_before_warning ?? check.failures_before_critical,
    ),
    on_update: check.on_update,
    provider: service.provider === 'nomad' ? 'nomad' : 'consul',
  };
  if (task !== undefined) spec.task = task;
  if (check.initial_status) spec.initial_status = check.initial_status;
  const restart = restartSpec(check);
  if (restart) spec.check_restart = restart;

  if (type === 'script') {
    if (check.command !== undefined) spec.command = text(check.command);
    spec.args = (check.args ?? []).map(text);
    return spec;
  }
  const port = resolvePort(alloc, check.port ?? service.port, text);
  if (port) {
    spec.port = port.value;
    const address = checkAddress(service, check, port.hostIp, text);
    if (address !== undefined) spec.address = address;
  }
  if (type === 'http') {
    spec.protocol = check.protocol === 'https' ? 'https' : 'http';
    spec.path = text(check.path ?? '/');
    spec.method = (check.method ?? 'GET').toUpperCase();
    if (check.header) {
      spec.header = Object.fromEntries(
        Object.entries(check.header).map(([k, v]) => [k, (v ?? []).map(text)]),
      );
    }
    if (check.body !== undefined) spec.body = text(check.body);
    if (check.tls_server_name) spec.tls_server_name = text(check.tls_server_name);
    if (check.tls_skip_verify) spec.tls_skip_verify = true;
  }
  return spec;
}

function checkType(type: Check['type']): CheckType | undefined {
  switch (type) {
    case 'http':
    case 'tcp':
    case 'script':
      return type;
    case 'grpc':
      // Nomad's own checker runs every check that is not http as a tcp connect.
      return 'tcp';
    default:
      return undefined;
  }
}

/** The check's check_restart (normalization merged the service's under it, as api/services.go does). */
function restartSpec(check: Check): CheckRestartSpec | undefined {
  const r = check.check_restart;
  // A limit of 0 disables restarts (structs.ServiceCheck.TriggersRestarts).
  if (!r || r.limit <= 0) return undefined;
  return { limit: r.limit, grace_ms: Math.max(0, r.grace), ignore_warnings: r.ignore_warnings };
}

/**
 * A port label, or a number, to the host port drover connects to: a label names one of the
 * allocation's ports; a number is matched against the ports' `to` (a port inside the task,
 * as address_mode "driver" writes it) and otherwise taken as a host port.
 */
function resolvePort(
  alloc: Allocation,
  ref: string | number | undefined,
  text: (s: string) => string,
): { value: number; hostIp: string } | undefined {
  if (ref === undefined) return undefined;
  const label = text(String(ref));
  const byLabel = alloc.ports.find((p) => p.label === label);
  if (byLabel) return { value: byLabel.value, hostIp: byLabel.host_ip };
  if (!/^\d+$/.test(label)) return undefined;
  const n = Number(label);
  if (n < 1 || n > 65_535) return undefined;
  const mapped = alloc.ports.find((p) => p.to === n);
  return mapped ? { value: mapped.value, hostIp: mapped.host_ip } : { value: n, hostIp: '' };
}

/** A service's custom address (when the check leaves address_mode unset), else the port's bind. */
function checkAddress(
  service: Service,
  check: Check,
  hostIp: string,
  text: (s: string) => string,
): string | undefined {
  if (service.address && !check.address_mode) return text(service.address);
  // Ports bound on every interface are reached on the transport's loopback.
  return hostIp === '' || hostIp === '0.0.0.0' || hostIp === '::' ? undefined : hostIp;
}

function positiveMs(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function nonNegative(n: number | undefined): number {
  return n !== undefined && n > 0 ? Math.floor(n) : 0;
}
