/**
 * Every command of the CLI, registered on one program. main.ts loads this module only when the
 * command line needs more than a command that runs alone (see `STANDALONE` there), because these
 * modules pull in the engine, the state backends and the providers.
 */
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { registerFmt } from './fmt.js';
import { registerJob } from './job.js';
import { registerValidate } from './validate.js';
import { registerApply, registerPlan } from './plan.js';
import { registerJobCommands } from './jobs.js';
import { registerLaunchCommands } from './launch.js';
import { registerAllocCommands } from './alloc.js';
import { registerStateCommands } from './state.js';
import { registerDeploymentCommands } from './deployment.js';
import { registerNodeCommands } from './node.js';
import { registerVarCommands } from './var.js';
import { registerAudit } from './audit.js';
import { registerDrift } from './drift.js';
import { registerApprove } from './approve.js';
import { registerServer } from './server.js';

export function registerAllCommands(program: Command, output: (json: boolean) => Output): void {
  registerValidate(program, output);
  registerFmt(program, output);
  registerPlan(program, output);
  registerApply(program, output);
  registerApprove(program, output);
  const jobCmd = registerJob(program, output);
  registerJobCommands(program, jobCmd, output);
  registerLaunchCommands(jobCmd, output);
  registerAllocCommands(program, output);
  registerStateCommands(program, output);
  registerDeploymentCommands(program, output);
  registerNodeCommands(program, output);
  registerVarCommands(program, output);
  registerAudit(program, output);
  registerDrift(program, output);
  registerServer(program, output);
}
