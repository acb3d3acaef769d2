/**
 * Every route of the API. Each module of src/server/api exports `routes`; add a new module's
 * here (the router rejects nothing: order does not matter, the most literal path wins).
 */
import type { Route } from '../types.js';
import { routes as agent } from './agent.js';
import { routes as events } from './events.js';
import { routes as logs } from './logs.js';
import { routes as metrics } from './metrics.js';

export function allRoutes(): Route[] {
  return [...agent, ...events, ...logs, ...metrics];
}
