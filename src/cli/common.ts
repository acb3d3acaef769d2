import type { LoadOptions } from '../jobspec/load.js';
import { nodeFileAccess } from '../io/node-files.js';
import { driverConfigCheck } from '../../providers/config-validators.js';
import { variableInputs, type JobInputOptions } from './job-input-options.js';

export { addJobInputOptions, variableInputs, type JobInputOptions } from './job-input-options.js';

/**
 * How the CLI loads jobspecs: from the real file system, with the drivers' config rules. The
 * jobspec layer imports neither (docs/architecture.md, "Dependency rules"); this edge wires them.
 */
export function jobLoadOptions(o: JobInputOptions): LoadOptions {
  return { inputs: variableInputs(o), files: nodeFileAccess, drivers: driverConfigCheck };
}
