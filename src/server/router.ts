/**
 * Route matching: `/v1/job/:id/allocations` (`:name` is one URL-decoded segment), a final `*`
 * takes the rest (`params.rest`). A path that matches no route is unknown (404); one that
 * matches only with another method is 405. PUT and POST are the same method here, as Nomad
 * accepts both for every write.
 */
import type { Route } from './types.js';

export type Match =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allowed: string[] }
  | { kind: 'none' };

interface Compiled {
  route: Route;
  segments: string[];
  rest: boolean;
}

export interface Router {
  match(method: string, path: string): Match;
}

/** PUT and POST name the same thing: a write. */
function sameMethod(a: string, b: string): boolean {
  const norm = (m: string) => (m === 'PUT' ? 'POST' : m);
  return norm(a) === norm(b);
}

export function createRouter(routes: readonly Route[]): Router {
  const compiled: Compiled[] = routes.map((route) => {
    const segments = route.path.split('/').filter((s) => s !== '');
    const rest = segments[segments.length - 1] === '*';
    return { route, segments: rest ? segments.slice(0, -1) : segments, rest };
  });
  return {
    match(method, path) {
      const parts = path.split('/').filter((s) => s !== '');
      const allowed: string[] = [];
      // The route with the most literal segments wins (`/v1/jobs/parse` before `/v1/jobs/:x`).
      let best: { route: Route; params: Record<string, string>; literal: number } | undefined;
      for (const c of compiled) {
        const params = matchSegments(c, parts);
        if (!params) continue;
        if (!sameMethod(c.route.method, method)) {
          allowed.push(c.route.method);
          continue;
        }
        const literal = c.segments.filter((s) => !s.startsWith(':')).length;
        if (!best || literal > best.literal) best = { route: c.route, params, literal };
      }
      if (best) return { kind: 'found', route: best.route, params: best.params };
      if (allowed.length > 0) return { kind: 'method', allowed: [...new Set(allowed)] };
      return { kind: 'none' };
    },
  };
}

function matchSegments(c: Compiled, parts: string[]): Record<string, string> | undefined {
  if (c.rest ? parts.length <= c.segments.length : parts.length !== c.segments.length)
    return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segments.length; i++) {
    const want = c.segments[i]!;
    const got = decode(parts[i]!);
    if (got === undefined) return undefined;
    if (want.startsWith(':')) params[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  if (c.rest) {
    const rest = parts.slice(c.segments.length).map(decode);
    if (rest.some((r) => r === undefined)) return undefined;
    params.rest = rest.join('/');
  }
  return params;
}

/** A segment URL-decoded; undefined when its escapes are broken. */
function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
