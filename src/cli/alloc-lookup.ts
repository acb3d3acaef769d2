/** Finding an allocation the way the CLI's commands name one: an id, an id prefix, or a job. Pure. */
import { ALL_NAMESPACES, jobKey } from '../state/job-key.js';
import type { Allocation, StateSnapshot } from '../state/types.js';
import { UserError } from './with-session.js';

/** An allocation by id or unique id prefix; an ambiguous prefix lists the candidates. */
function byIdPrefix(state: StateSnapshot, target: string): Allocation | undefined {
  const byId = Object.values(state.allocations).filter((a) => a.id.startsWith(target));
  if (byId.length > 1)
    throw new UserError(
      `"${target}" matches ${byId.length} allocations; give more of the id:\n${byId
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((a) => `  ${a.id}  ${a.name}  ${a.client_status}`)
        .join('\n')}`,
    );
  return byId[0];
}

/** An allocation by id or unique id prefix. */
export function allocById(state: StateSnapshot, target: string): Allocation {
  const a = target ? byIdPrefix(state, target) : undefined;
  if (!a) throw new UserError(`no allocation matches "${target}"`);
  return a;
}

/**
 * An allocation by id or unique id prefix, or a job's newest allocation: running only, or in
 * any status (`logs` of a batch job shows its completed or failed work).
 */
export function findAlloc(
  state: StateSnapshot,
  target: string,
  opts: { anyStatus?: boolean; namespace?: string } = {},
): Allocation {
  // A job's name (in the selected namespace) wins over an id prefix it happens to be ("db").
  const key = jobKey(opts.namespace === ALL_NAMESPACES ? undefined : opts.namespace, target);
  const one = key in state.jobs ? undefined : byIdPrefix(state, target);
  if (one) return one;
  const ofJob = Object.values(state.allocations)
    .filter(
      (a) =>
        a.job === key &&
        (opts.anyStatus || (a.desired_status === 'run' && a.client_status === 'running')),
    )
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  if (ofJob[0]) return ofJob[0];
  throw new UserError(
    `no allocation or ${opts.anyStatus ? '' : 'running '}job matches "${target}"`,
  );
}
