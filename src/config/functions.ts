/**
 * The functions drover.hcl may call: the jobspec library (file(), format(), …) plus `env`,
 * because a configuration, unlike a job, is read on the operator's machine and may take
 * settings from its environment.
 */
import { standardFunctions, type FunctionTable } from '../hcl/functions/index.js';
import { fn, param } from '../hcl/functions/spec.js';
import { T } from '../hcl/types.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** `env("NAME")`: the variable's value, or "" when it is not set (as Packer's env does). */
export function configFunctions(env: Environment): FunctionTable {
  const envFn = fn([param('name', T.string)], ([name]) => env[name as string] ?? '');
  return new Map([...standardFunctions(), ['env', envFn]]);
}
