/**
 * Drift of a container: the container drover's `start` would create for a task (`containerSpec`
 * of its context) and the container the engine holds now, each as a `TaskView` of the fields a
 * hand could change: image, command, entrypoint, environment, published ports, mounts, labels,
 * memory limit and CPU shares. Pure: the engine is asked in `docker.ts`.
 */
import type Docker from 'dockerode';
import type { DriverHandle } from '../../src/state/types.js';
import type { FoundTask, TaskContext, TaskObservation, TaskView } from '../types.js';
import { containerSpec, prune } from './docker-spec.js';

/** The container as drover applied it: what `start` creates from this context. */
export function appliedContainer(
  ctx: TaskContext,
  handle: DriverHandle,
): TaskView & { id?: string } {
  const spec = containerSpec(ctx);
  const host = spec.HostConfig ?? {};
  return prune({
    id: typeof handle.container_id === 'string' ? handle.container_id : undefined,
    image: spec.Image,
    imageId: typeof handle.image_id === 'string' ? handle.image_id : undefined,
    command: spec.Cmd === undefined ? undefined : asList(spec.Cmd),
    entrypoint: spec.Entrypoint === undefined ? undefined : asList(spec.Entrypoint),
    env: envMap(spec.Env ?? []),
    ports: portList(host.PortBindings as PortBindings | undefined),
    mounts: mountList(host.Binds, host.Mounts),
    labels: spec.Labels ?? {},
    memory: host.Memory,
    cpuShares: host.CpuShares,
  });
}

/** The container as the engine describes it now. */
export function foundContainer(info: Docker.ContainerInspectInfo): FoundTask {
  const c = info.Config;
  const host = info.HostConfig ?? {};
  return prune({
    id: info.Id,
    running: info.State.Running,
    state: info.State.Status,
    image: c.Image,
    imageId: info.Image,
    command: c.Cmd ?? [],
    entrypoint: asList(c.Entrypoint ?? []),
    env: envMap(c.Env ?? []),
    ports: portList(host.PortBindings as PortBindings | undefined),
    mounts: mountList(host.Binds, host.Mounts),
    labels: c.Labels ?? {},
    memory: host.Memory ?? 0,
    cpuShares: host.CpuShares ?? 0,
  });
}

/**
 * The container as applied, as far as the found one can tell: a container started before drover
 * set Nomad's labels (`com.hashicorp.nomad.*`) gets them when it is next replaced, so their
 * absence is no drift (README, "Logs").
 */
export function comparableApplied(
  applied: TaskView & { id?: string },
  found: FoundTask,
): TaskView & { id?: string } {
  const prefix = 'com.hashicorp.nomad.';
  const labels = applied.labels;
  if (!labels || Object.keys(found.labels ?? {}).some((k) => k.startsWith(prefix))) return applied;
  return {
    ...applied,
    labels: Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith(prefix))),
  };
}

/** What a container has from its image rather than from whoever created it. */
export function imageDefaults(image: Docker.ImageInspectInfo | undefined): {
  env: Record<string, string>;
  labels: Record<string, string>;
} {
  return {
    env: envMap(image?.Config?.Env ?? []),
    labels: image?.Config?.Labels ?? {},
  };
}

/** `K=V` lines as a map (a line without `=` is a key set to the empty string). */
export function envMap(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf('=');
    if (i < 0) out[line] = '';
    else out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

/** Published ports as `8080/tcp -> 127.0.0.1:23456`, sorted. */
export function portList(bindings: PortBindings | undefined): string[] {
  const out: string[] = [];
  for (const [port, list] of Object.entries(bindings ?? {}))
    for (const b of list ?? []) out.push(`${port} -> ${b.HostIp || '0.0.0.0'}:${b.HostPort ?? ''}`);
  return out.sort();
}

/** Binds (`src:dst[:opts]`) and mounts (`type src:dst[:ro]`), sorted. */
export function mountList(
  binds: readonly string[] | undefined,
  mounts: readonly Docker.MountSettings[] | undefined,
): string[] {
  return [
    ...(binds ?? []).map(bindText),
    ...(mounts ?? []).map(
      (m) => `${m.Type} ${m.Source ?? ''}:${m.Target}${m.ReadOnly ? ':ro' : ''}`,
    ),
  ].sort();
}

/** Options an engine adds to a bind when none are given (podman: `rw,rprivate,rbind`). */
const DEFAULT_BIND_OPTIONS: ReadonlySet<string> = new Set(['rw', 'rprivate', 'rbind']);

/** A bind (`src:dst[:opts]`) without the options that are the default anyway. */
function bindText(bind: string): string {
  const [src, dst, opts] = bind.split(':');
  if (dst === undefined) return bind;
  const kept = (opts ?? '').split(',').filter((o) => o !== '' && !DEFAULT_BIND_OPTIONS.has(o));
  return [src, dst, ...(kept.length ? [kept.join(',')] : [])].join(':');
}

/**
 * The observation with variables the engine itself sets in every container (podman: `HOME`,
 * `HOSTNAME`, `TERM`, `container`) counted as the container's by right, not added by hand.
 */
export function withEngineEnv(obs: TaskObservation, keys: readonly string[]): TaskObservation {
  const found = obs.found?.env;
  if (!found || !obs.inherited) return obs;
  const engine = Object.fromEntries(keys.flatMap((k) => (k in found ? [[k, found[k]!]] : [])));
  return { ...obs, inherited: { ...obs.inherited, env: { ...engine, ...obs.inherited.env } } };
}

function asList(v: string | string[]): string[] {
  return typeof v === 'string' ? [v] : [...v];
}
