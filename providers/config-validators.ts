/**
 * The drivers' `validateConfig` checks by driver name, for `drover validate` / `plan` / `apply`.
 * It imports the drivers' pure validator functions, never the drivers themselves (docker.ts
 * loads dockerode), so checking job files stays as quick as parsing them.
 */
import type { DriverConfigCheck } from '../src/jobspec/driver-config.js';
import type { ConfigProblem } from './types.js';
import { validateDockerConfig } from './drivers/docker-spec.js';
import { validateExecConfig } from './drivers/exec.js';
import { validateJavaConfig } from './drivers/java.js';
import { validateMockConfig } from './drivers/mock.js';
import { validatePodmanConfig } from './drivers/podman-config.js';
import { validateRawExecConfig } from './drivers/raw_exec.js';

export type ConfigValidator = (config: Record<string, unknown>) => ConfigProblem[];

/** Every driver `defaultDrivers()` registers, with its config check. */
const VALIDATORS: Readonly<Record<string, ConfigValidator>> = {
  docker: validateDockerConfig,
  exec: validateExecConfig,
  java: validateJavaConfig,
  mock: validateMockConfig,
  podman: validatePodmanConfig,
  raw_exec: validateRawExecConfig,
};

/** The task drivers drover has, sorted. */
export function knownDrivers(): string[] {
  return Object.keys(VALIDATORS).sort();
}

/**
 * The problems of a task's `config` for its driver; undefined when drover has no such driver.
 * Problems about values known only on the host are left out (see `runtimeValue`).
 */
export function checkDriverConfig(
  driver: string,
  config: Record<string, unknown>,
): ConfigProblem[] | undefined {
  const validate = Object.hasOwn(VALIDATORS, driver) ? VALIDATORS[driver] : undefined;
  if (!validate) return undefined;
  return validate(config).filter((p) => !aboutRuntimeValue(p, config));
}

/** The checks the CLI passes to the jobspec layer when it loads jobs. */
export const driverConfigCheck: DriverConfigCheck = { knownDrivers, checkDriverConfig };

/**
 * Whether a problem is about a value that only the host knows: `${NOMAD_PORT_http}`,
 * `${attr.…}`, `${meta.…}` are kept as text when the job is read and interpolated when the
 * task starts, so `memory_hard_limit = "${NOMAD_META_mem}"` becomes a number only then. An
 * unknown key stays an error whatever its value.
 */
function aboutRuntimeValue(problem: ConfigProblem, config: Record<string, unknown>): boolean {
  if (problem.severity === 'warning' || problem.summary === 'Unsupported argument') return false;
  return runtimeValue(valueAt(config, problem.pointer));
}

/** A string holding a `${…}` reference the host interpolates. */
export function runtimeValue(value: unknown): boolean {
  return typeof value === 'string' && /\$\{[^}]*\}/.test(value);
}

/** The value at a JSON pointer inside `root`; undefined when there is none. */
function valueAt(root: unknown, ptr: string): unknown {
  if (ptr === '') return root;
  let at: unknown = root;
  for (const raw of ptr.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
