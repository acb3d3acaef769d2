/**
 * Lookups over one state snapshot that every list answer needs (a job's allocations and
 * deployments, a parent's launched children, the jobs as views), built once per snapshot: a
 * list of 1,000 jobs is then linear, not quadratic. A snapshot the server holds is never
 * modified (a write makes a new one), so the lookups are kept as long as it is.
 */
import type { Allocation, Deployment, StateSnapshot } from '../../state/types.js';
import { jobView, modifyIndexOf, type JobView } from './common.js';

export interface StateLookups {
  /** Every job that exists, by id order. */
  readonly views: readonly JobView[];
  /** The job as the API sees it; undefined when it does not exist (or was purged). */
  viewOf(jobId: string): JobView | undefined;
  allocationsOf(jobId: string): readonly Allocation[];
  deploymentsOf(jobId: string): readonly Deployment[];
  childrenOf(parentId: string): readonly JobView[];
  /**
   * The index of everything of one job (its record, allocations and deployments): the highest
   * ModifyIndex among them, which writes to other jobs do not move. `stateIndex` for what an
   * older drover recorded without indexes, and for a job that does not exist.
   */
  scopeIndexOf(jobId: string, stateIndex: number): number;
  /** A value derived from this snapshot (a list's objects), built on its first use. */
  memo<T>(key: string, make: () => T): T;
}

const built = new WeakMap<StateSnapshot, StateLookups>();

export function lookups(state: StateSnapshot): StateLookups {
  let found = built.get(state);
  if (!found) {
    found = build(state);
    built.set(state, found);
  }
  return found;
}

function build(state: StateSnapshot): StateLookups {
  const allocs = groupBy(Object.values(state.allocations), (a) => a.job);
  const views = Object.keys(state.jobs)
    .sort()
    .map((id) => jobView(state, id, allocs.get(id) ?? []))
    .filter((v): v is JobView => v !== undefined);
  const byId = new Map(views.map((v) => [v.id, v]));
  const deployments = groupBy(Object.values(state.deployments), (d) => d.job);
  const children = groupBy(views, (v) => v.latest.launch?.parent);
  const memos = new Map<string, unknown>();
  const scopes = new Map<string, number>();
  return {
    memo<T>(key: string, make: () => T): T {
      if (!memos.has(key)) memos.set(key, make());
      return memos.get(key) as T;
    },
    views,
    viewOf: (id) => byId.get(id),
    allocationsOf: (id) => allocs.get(id) ?? [],
    deploymentsOf: (id) => deployments.get(id) ?? [],
    childrenOf: (id) => children.get(id) ?? [],
    scopeIndexOf(id, stateIndex) {
      const record = state.jobs[id];
      if (!record) return stateIndex;
      const key = `${id}\n${stateIndex}`;
      let found = scopes.get(key);
      if (found === undefined) {
        found = modifyIndexOf(record, stateIndex);
        for (const o of [...(allocs.get(id) ?? []), ...(deployments.get(id) ?? [])])
          found = Math.max(found, modifyIndexOf(o, stateIndex));
        scopes.set(key, found);
      }
      return found;
    },
  };
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
