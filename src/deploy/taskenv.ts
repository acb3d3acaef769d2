/**
 * Nomad's runtime environment for a task (NOMAD_ALLOC_ID, NOMAD_PORT_http, …) and the
 * interpolation of references only a host can resolve (`${NOMAD_PORT_http}`, `${attr.kernel.name}`,
 * `${node.unique.name}`, `${meta.rack}`, `${env["X"]}`), which the jobspec evaluator kept as text.
 * Pure: the caller gathers node facts and allocated ports.
 */
import type {
  NormalizedGroup as Group,
  NormalizedJob as Job,
  NormalizedTask as Task,
} from '../generated/normalized-job.js';
import type { AllocatedPort } from '../state/types.js';

/** Where the task sees its directories: inside a container (/alloc …) or on the host (process drivers). */
export interface TaskDirs {
  allocDir: string;
  taskDir: string;
  secretsDir: string;
}

export interface TaskEnvInput {
  job: Job;
  group: Group;
  task: Task;
  allocId: string;
  allocIndex: number;
  nodeName: string;
  datacenter: string;
  /** The address other hosts reach this node at (NOMAD_IP_*). */
  hostAddress: string;
  ports: readonly AllocatedPort[];
  dirs: TaskDirs;
  /** Whether the task runs in its own network namespace with port mapping (docker bridge). */
  mapsPorts: boolean;
  /** Node attributes (`kernel.name` …), node fields (`unique.name` …) and meta, for interpolation. */
  node: NodeFacts;
}

export interface NodeFacts {
  attributes: Record<string, string>;
  meta: Record<string, string>;
  name: string;
  datacenter: string;
  class?: string;
  pool?: string;
}

/** Nomad's NOMAD_* variables for one task of one allocation. */
export function runtimeEnv(i: TaskEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    NOMAD_ALLOC_ID: i.allocId,
    NOMAD_SHORT_ALLOC_ID: i.allocId.slice(0, 8),
    NOMAD_ALLOC_NAME: `${i.job.id}.${i.group.name}[${i.allocIndex}]`,
    NOMAD_ALLOC_INDEX: String(i.allocIndex),
    NOMAD_JOB_ID: i.job.id,
    NOMAD_JOB_NAME: i.job.name,
    NOMAD_GROUP_NAME: i.group.name,
    NOMAD_TASK_NAME: i.task.name,
    NOMAD_DC: i.datacenter,
    NOMAD_REGION: i.job.region,
    NOMAD_NAMESPACE: i.job.namespace,
    NOMAD_ALLOC_DIR: i.dirs.allocDir,
    NOMAD_TASK_DIR: i.dirs.taskDir,
    NOMAD_SECRETS_DIR: i.dirs.secretsDir,
  };
  const res = i.task.resources;
  env.NOMAD_MEMORY_LIMIT = String(res.memory);
  if (res.memory_max !== undefined) env.NOMAD_MEMORY_MAX_LIMIT = String(res.memory_max);
  env.NOMAD_CPU_LIMIT = String(res.cpu);
  env.NOMAD_CPU_CORES = String(res.cores);
  for (const p of i.ports) {
    const label = envName(p.label);
    // Inside a mapped network the task listens on `to`; on the host network, on the host port.
    const taskPort = i.mapsPorts && p.to ? p.to : p.value;
    env[`NOMAD_PORT_${label}`] = String(taskPort);
    env[`NOMAD_IP_${label}`] = i.hostAddress;
    env[`NOMAD_ADDR_${label}`] = `${i.hostAddress}:${p.value}`;
    env[`NOMAD_HOST_PORT_${label}`] = String(p.value);
    env[`NOMAD_HOST_IP_${label}`] = i.hostAddress;
    env[`NOMAD_HOST_ADDR_${label}`] = `${i.hostAddress}:${p.value}`;
    env[`NOMAD_ALLOC_PORT_${label}`] = String(taskPort);
  }
  // Task meta overrides group meta overrides job meta, as in Nomad.
  const meta = { ...(i.job.meta ?? {}), ...(i.group.meta ?? {}), ...(i.task.meta ?? {}) };
  for (const [k, v] of Object.entries(meta)) {
    env[`NOMAD_META_${k}`] = String(v);
    env[`NOMAD_META_${envName(k)}`] = String(v);
  }
  return env;
}

/** Nomad's rule for variable names built from labels: anything not [A-Za-z0-9_] becomes `_`. */
export function envName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * The environment a task runs with: Nomad's runtime variables, then the task's own `env`
 * (interpolated against them), as Nomad builds it.
 */
export function taskEnv(i: TaskEnvInput): Record<string, string> {
  const env = runtimeEnv(i);
  const scope = { env, node: i.node };
  for (const [k, v] of Object.entries(i.task.env ?? {})) env[k] = interpolate(String(v), scope);
  return env;
}

export interface InterpolationScope {
  env: Record<string, string>;
  node: NodeFacts;
}

const REFERENCE = /\$\{([^{}]+)\}/g;

/**
 * Replaces `${…}` references a host can resolve; leaves unknown ones as they are, as Nomad
 * does. `$${` (already reduced by the HCL evaluator) never reaches here.
 */
export function interpolate(text: string, scope: InterpolationScope): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (whole, inner: string) => resolve(inner.trim(), scope) ?? whole);
}

function resolve(ref: string, { env, node }: InterpolationScope): string | undefined {
  const envIndex = /^env\[\s*"([^"]+)"\s*\]$/.exec(ref);
  if (envIndex) return env[envIndex[1]!];
  if (ref.startsWith('attr.')) return node.attributes[ref.slice(5)];
  if (ref.startsWith('meta.')) return node.meta[ref.slice(5)];
  if (ref.startsWith('node.')) {
    const key = ref.slice(5);
    switch (key) {
      case 'unique.name':
      case 'unique.id':
        return node.name;
      case 'datacenter':
        return node.datacenter;
      case 'class':
        return node.class ?? '';
      case 'pool':
        return node.pool ?? 'default';
      default:
        return undefined;
    }
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) return env[ref];
  return undefined;
}

/** Interpolates every string inside a value (a task's config block). */
export function interpolateDeep<T>(value: T, scope: InterpolationScope): T {
  if (typeof value === 'string') return interpolate(value, scope) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => interpolateDeep(v, scope)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateDeep(v, scope);
    return out as T;
  }
  return value;
}
