/**
 * The podman driver's pure half: Nomad's podman task `config` (nomad-driver-podman config.go)
 * checked, and turned into the docker driver's config, since drover runs podman through its
 * Docker-compatible API with the docker driver's machinery. No I/O here.
 *
 * Keys that mean the same in both drivers pass through (and are checked by the docker
 * validator); renamed and reshaped keys are translated; keys the Docker API cannot express are
 * accepted with a warning, as the docker driver does for its own unapplied options.
 */
import type { ConfigProblem } from '../types.js';
import { pointer } from '../../src/jobspec/ranges.js';
import { didYouMean } from '../../src/jobspec/suggest.js';
import { prune, validateDockerConfig } from './docker-spec.js';

type Obj = Record<string, unknown>;

/** How one podman key reaches the docker driver's config. */
type Rule =
  /** The docker key of that name (or `as`), same shape. */
  | { docker: true; as?: string }
  /** Reshaped by `dockerConfig`; checked by `check`. */
  | { docker: false; check: (value: unknown, p: string, out: ConfigProblem[]) => void }
  /** Accepted, checked by `check`, not applied. */
  | {
      docker: false;
      check: (value: unknown, p: string, out: ConfigProblem[]) => void;
      ignored: string;
    };

const same = (as?: string): Rule => (as ? { docker: true, as } : { docker: true });

const PODMAN_CONFIG: Readonly<Record<string, Rule>> = {
  image: { docker: false, check: checkImage },
  args: same(),
  auth: { docker: false, check: checkAuth },
  auth_soft_fail: same(),
  command: same(),
  cap_add: same(),
  cap_drop: same(),
  cpu_hard_limit: same(),
  cpu_cfs_period: same(),
  devices: { docker: false, check: checkDevices },
  entrypoint: { docker: false, check: checkEntrypoint },
  extra_hosts: same(),
  force_pull: same(),
  hostname: same(),
  image_pull_timeout: same(),
  init: same(),
  labels: same(),
  network_mode: same(),
  pids_limit: same(),
  port_map: same(),
  ports: same(),
  privileged: same(),
  readonly_rootfs: same(),
  shm_size: { docker: false, check: checkSize },
  sysctl: same(),
  tmpfs: { docker: false, check: checkTmpfs },
  tty: same(),
  ulimit: same(),
  userns: same('userns_mode'),
  volumes: same(),
  working_dir: same('work_dir'),
  apparmor_profile: { docker: false, check: stringCheck },
  selinux_opts: { docker: false, check: stringsCheck },
  init_path: {
    docker: false,
    check: stringCheck,
    ignored: 'the Docker API has no init path; podman uses its own init_path (containers.conf)',
  },
  logging: { docker: false, check: blockCheck({ driver: stringCheck, options: mapCheck }) },
  memory_reservation: {
    docker: false,
    check: checkSize,
    ignored: 'drover sets the reservation from resources.memory when memory_max is set',
  },
  memory_swap: {
    docker: false,
    check: checkSize,
    ignored: 'drover allows no swap beyond the memory limit, as Nomad does',
  },
  memory_swappiness: {
    docker: false,
    check: numberCheck,
    ignored: 'the kernel default applies',
  },
  socket: {
    docker: false,
    check: stringCheck,
    ignored: "drover talks to the node's podman socket (/run/podman/podman.sock)",
  },
};

/** Image transports podman reads without a registry; the Docker-compatible API cannot. */
const LOCAL_TRANSPORTS = /^(oci-archive|docker-archive|oci|dir|containers-storage):/;

// ---------------------------------------------------------------------------------------------
// validateConfig

/** Checks a podman task's `config`: unknown keys, wrong types, malformed values. No I/O. */
export function validatePodmanConfig(config: Obj): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  // Keys shared with the docker driver, under their docker names, for the docker validator.
  const shared: Obj = {};
  const dockerToPodman = new Map<string, string>();
  for (const [key, value] of Object.entries(config)) {
    const rule = PODMAN_CONFIG[key];
    const p = pointer(key);
    if (!rule) {
      out.push({
        pointer: p,
        summary: 'Unsupported argument',
        detail: `An argument or block named "${key}" is not expected in the podman driver's config.${didYouMean(key, Object.keys(PODMAN_CONFIG))}`,
      });
    } else if (rule.docker) {
      shared[rule.as ?? key] = value;
      dockerToPodman.set(rule.as ?? key, key);
    } else {
      rule.check(value, p, out);
      if ('ignored' in rule) {
        out.push({
          pointer: p,
          severity: 'warning',
          summary: `"${key}" is accepted but not applied by drover`,
          detail: `Nomad's podman driver supports "${key}"; drover checks it but starts the container without it: ${rule.ignored}.`,
        });
      }
    }
  }
  if (config.image === undefined) {
    out.push({
      pointer: '',
      summary: 'Missing required argument',
      detail: `The argument "image" is required in the podman driver's config, but no definition was found.`,
    });
  }
  // The image goes along (its value stripped of docker://) so the docker checks see a config.
  const image = typeof config.image === 'string' ? stripTransport(config.image) : 'x';
  for (const problem of validateDockerConfig({ ...shared, image })) {
    out.push(inPodmanTerms(problem, dockerToPodman));
  }
  return out;
}

/** A docker validator problem, pointing at the podman key and naming the podman driver. */
function inPodmanTerms(problem: ConfigProblem, names: ReadonlyMap<string, string>): ConfigProblem {
  const [, first = '', ...rest] = problem.pointer.split('/');
  const renamed = names.get(first);
  return {
    ...problem,
    pointer: renamed ? ['', renamed, ...rest].join('/') : problem.pointer,
    detail: problem.detail.replace(/docker driver/g, 'podman driver'),
  };
}

function typeError(p: string, what: string, out: ConfigProblem[]): void {
  const key = p.split('/')[1] ?? '';
  out.push({
    pointer: p,
    summary: 'Incorrect attribute value type',
    detail: `Inappropriate value for "${key}": ${what} is required.`,
  });
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function stringCheck(value: unknown, p: string, out: ConfigProblem[]): void {
  if (!isScalar(value)) typeError(p, 'a string', out);
}

function numberCheck(value: unknown, p: string, out: ConfigProblem[]): void {
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return;
  typeError(p, 'a number', out);
}

function stringsCheck(value: unknown, p: string, out: ConfigProblem[]): void {
  if (!Array.isArray(value)) return typeError(p, 'a list of strings', out);
  value.forEach((v, i) => {
    if (!isScalar(v)) typeError(p + pointer(i), 'a list of strings', out);
  });
}

function mapCheck(value: unknown, p: string, out: ConfigProblem[]): void {
  const maps = isObj(value) ? [value] : Array.isArray(value) ? value : undefined;
  if (!maps || !maps.every(isObj)) return typeError(p, 'a map of strings', out);
}

function blockCheck(
  fields: Record<string, (value: unknown, p: string, out: ConfigProblem[]) => void>,
): (value: unknown, p: string, out: ConfigProblem[]) => void {
  return (value, p, out) => {
    const blocks = isObj(value) ? [value] : Array.isArray(value) ? value : undefined;
    if (!blocks || !blocks.every(isObj)) return typeError(p, 'a block', out);
    for (const [i, b] of blocks.entries()) {
      const bp = isObj(value) ? p : p + pointer(i);
      for (const [k, v] of Object.entries(b)) {
        const check = fields[k];
        if (check) check(v, bp + pointer(k), out);
        else {
          out.push({
            pointer: bp + pointer(k),
            summary: 'Unsupported argument',
            detail: `An argument named "${k}" is not expected here.${didYouMean(k, Object.keys(fields))}`,
          });
        }
      }
    }
  };
}

function checkAuth(value: unknown, p: string, out: ConfigProblem[]): void {
  checkAuthBlock(value, p, out);
}

const checkAuthBlock = blockCheck({
  username: stringCheck,
  password: stringCheck,
  tls_verify: (value, p, out) => {
    if (value !== true && value !== false && value !== 'true' && value !== 'false') {
      return typeError(p, 'a bool', out);
    }
    if (value === false || value === 'false') {
      out.push({
        pointer: p,
        severity: 'warning',
        summary: '"tls_verify = false" is accepted but not applied by drover',
        detail:
          "The Docker-compatible API has no per-pull TLS switch: list the registry as insecure in the node's registries.conf instead.",
      });
    }
  },
});

function checkImage(value: unknown, p: string, out: ConfigProblem[]): void {
  if (typeof value !== 'string') return typeError(p, 'a string', out);
  if (LOCAL_TRANSPORTS.test(value)) {
    out.push({
      pointer: p,
      summary: 'Unsupported image transport',
      detail: `drover runs podman through its Docker-compatible API, which pulls from registries only: load ${JSON.stringify(value)} into the node's image store and name it by repository and tag.`,
    });
  }
}

function checkEntrypoint(value: unknown, p: string, out: ConfigProblem[]): void {
  if (isScalar(value)) return;
  stringsCheck(value, p, out);
}

function checkSize(value: unknown, p: string, out: ConfigProblem[]): void {
  if (!isScalar(value)) return typeError(p, 'a string', out);
  if (parseBytes(String(value)) === undefined) {
    out.push({
      pointer: p,
      summary: 'Malformed size',
      detail: `A size is a number of bytes with an optional unit (b, k, m, g), such as "64m", not ${JSON.stringify(value)}.`,
    });
  }
}

function checkDevices(value: unknown, p: string, out: ConfigProblem[]): void {
  if (!Array.isArray(value)) return typeError(p, 'a list of strings', out);
  value.forEach((v, i) => {
    if (typeof v !== 'string') return typeError(p + pointer(i), 'a list of strings', out);
    if (!parseDevice(v)) {
      out.push({
        pointer: p + pointer(i),
        summary: 'Malformed device',
        detail: `A device is "host_path[:container_path[:permissions]]" with absolute paths and permissions of r, w and m, not ${JSON.stringify(v)}.`,
      });
    }
  });
}

function checkTmpfs(value: unknown, p: string, out: ConfigProblem[]): void {
  if (!Array.isArray(value)) return typeError(p, 'a list of strings', out);
  value.forEach((v, i) => {
    if (typeof v !== 'string') return typeError(p + pointer(i), 'a list of strings', out);
    const t = parseTmpfs(v);
    const ip = p + pointer(i);
    if (!t) {
      out.push({
        pointer: ip,
        summary: 'Malformed tmpfs',
        detail: `A tmpfs is "container_path[:size=…,mode=…]" with an absolute path, not ${JSON.stringify(v)}.`,
      });
    } else if (t.other.length > 0) {
      out.push({
        pointer: ip,
        severity: 'warning',
        summary: 'tmpfs options are accepted but not applied by drover',
        detail: `drover mounts the tmpfs with its size and mode only; ${t.other.join(', ')} ${t.other.length === 1 ? 'is' : 'are'} not applied.`,
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Translation

/** `docker://redis:7` is `redis:7` to a Docker API; other transports are refused by validation. */
export function stripTransport(image: string): string {
  return image.startsWith('docker://') ? image.slice('docker://'.length) : image;
}

/** The docker driver's config for a podman task's config (validated before). */
export function dockerConfig(config: Obj): Obj {
  const out: Obj = {};
  const securityOpt: string[] = [];
  const mounts: Obj[] = [];
  for (const [key, value] of Object.entries(config)) {
    const rule = PODMAN_CONFIG[key];
    if (rule?.docker) {
      out[rule.as ?? key] = value;
      continue;
    }
    switch (key) {
      case 'image':
        out.image = typeof value === 'string' ? stripTransport(value) : value;
        break;
      case 'entrypoint':
        out.entrypoint = Array.isArray(value) ? value : [String(value)];
        break;
      case 'auth': {
        const auth = (Array.isArray(value) ? value[0] : value) as Obj | undefined;
        if (auth) out.auth = { username: auth.username, password: auth.password };
        break;
      }
      case 'devices':
        out.devices = (value as string[]).map(parseDevice).filter((d) => d !== undefined);
        break;
      case 'tmpfs':
        for (const t of (value as string[]).map(parseTmpfs)) {
          if (!t) continue;
          const options = { size: t.size, mode: t.mode };
          mounts.push({
            type: 'tmpfs',
            target: t.target,
            ...(t.size !== undefined || t.mode !== undefined
              ? { tmpfs_options: prune(options) }
              : {}),
          });
        }
        break;
      case 'logging': {
        // Nomad's podman driver: `driver = "nomad"` (its default) is the logs block's rotation.
        const logging = (Array.isArray(value) ? value[0] : value) as Obj | undefined;
        const driver = typeof logging?.driver === 'string' ? logging.driver : undefined;
        if (driver !== undefined && driver !== 'nomad') {
          out.logging = { type: driver, ...(logging?.options ? { config: logging.options } : {}) };
        }
        break;
      }
      case 'shm_size':
        out.shm_size = parseBytes(String(value));
        break;
      case 'apparmor_profile':
        securityOpt.push(`apparmor=${String(value)}`);
        break;
      case 'selinux_opts':
        for (const opt of value as unknown[]) securityOpt.push(`label=${String(opt)}`);
        break;
    }
  }
  if (securityOpt.length > 0) out.security_opt = securityOpt;
  if (mounts.length > 0) out.mount = mounts;
  return out;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/** Docker's RAMInBytes: "64m", "1g", "512k", "1048576"; binary units, case-insensitive. */
export function parseBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
}

/** podman's --device: host_path[:container_path[:permissions]]. */
export function parseDevice(
  s: string,
): { host_path: string; container_path: string; cgroup_permissions: string } | undefined {
  const [host = '', container = host, perms = 'rwm', ...extra] = s.split(':');
  if (extra.length > 0 || !host.startsWith('/') || !container.startsWith('/')) return undefined;
  if (!/^[rwm]{1,3}$/.test(perms)) return undefined;
  return { host_path: host, container_path: container, cgroup_permissions: perms };
}

/** podman's --tmpfs: container_path[:options], of which size and mode are applied. */
export function parseTmpfs(
  s: string,
): { target: string; size?: number; mode?: number; other: string[] } | undefined {
  const at = s.indexOf(':');
  const target = at < 0 ? s : s.slice(0, at);
  if (!target.startsWith('/')) return undefined;
  const out: { target: string; size?: number; mode?: number; other: string[] } = {
    target,
    other: [],
  };
  for (const opt of at < 0 ? [] : s.slice(at + 1).split(',')) {
    const [name = '', value = ''] = opt.split('=');
    if (name === 'size' && parseBytes(value) !== undefined) out.size = parseBytes(value);
    else if (name === 'mode' && /^[0-7]{3,4}$/.test(value)) out.mode = parseInt(value, 8);
    else if (name === 'size' || name === 'mode') return undefined;
    else if (opt !== '') out.other.push(opt);
  }
  return out;
}
