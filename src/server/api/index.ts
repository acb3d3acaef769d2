/**
 * Every route of the API. Each module of src/server/api exports `routes`; add a new module's
 * here (the router rejects nothing: order does not matter, the most literal path wins).
 */
import type { Route } from '../types.js';
import { routes as acl } from './acl.js';
import { routes as aclRoles } from './acl-roles.js';
import { routes as agent } from './agent.js';
import { routes as allocRestart } from './alloc-restart.js';
import { routes as allocWrites } from './alloc-writes.js';
import { routes as allocations } from './allocations.js';
import { routes as cliViews } from './cli-views.js';
import { routes as deploymentWrites } from './deployment-writes.js';
import { routes as deployments } from './deployments.js';
import { routes as droverAudit } from './drover-audit.js';
import { routes as droverPlans } from './drover-plans.js';
import { routes as droverWhoami } from './drover-whoami.js';
import { routes as evaluations } from './evaluations.js';
import { routes as events } from './events.js';
import { routes as jobWrites } from './job-writes.js';
import { routes as jobsParse } from './jobs-parse.js';
import { routes as jobsRead } from './jobs-read.js';
import { routes as logs } from './logs.js';
import { routes as metrics } from './metrics.js';
import { routes as nodeWrites } from './node-writes.js';
import { routes as nodes } from './nodes.js';
import { routes as services } from './services.js';
import { routes as uiStatic } from './ui-static.js';
import { routes as variables } from './variables.js';

export function allRoutes(): Route[] {
  return [
    ...agent,
    ...acl,
    ...aclRoles,
    ...jobsRead,
    ...jobWrites,
    ...jobsParse,
    ...allocations,
    ...allocWrites,
    ...nodes,
    ...nodeWrites,
    ...deployments,
    ...deploymentWrites,
    ...evaluations,
    ...services,
    ...events,
    ...logs,
    ...metrics,
    ...allocRestart,
    ...droverPlans,
    ...droverAudit,
    ...droverWhoami,
    ...cliViews,
    ...variables,
    ...uiStatic,
  ];
}
