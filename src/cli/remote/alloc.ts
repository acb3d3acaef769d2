/**
 * `drover alloc status` and `drover logs` through a server: the allocation (an id, a unique id
 * prefix or a job, resolved as the direct commands resolve it) from Nomad's read API, its log
 * from `/v1/client/fs/logs/:alloc` (plain, followed with `-f`).
 */
import { jobKey } from '../../state/job-key.js';
import type { Command } from 'commander';
import type { IncomingMessage } from 'node:http';
import { hookOf } from '../../deploy/lifecycle.js';
import type { Allocation } from '../../state/types.js';
import type { ApiClient } from '../api-client.js';
import type { Output } from '../output.js';
import { UserError } from '../with-session.js';
import { allocById, findAlloc } from '../alloc-lookup.js';
import { printAllocStatus } from '../commands/alloc-status.js';
import { query, seg } from './connection.js';
import {
  allocationOf,
  deploymentOf,
  jobVersionOf,
  normalizedJobOf,
  type Json,
} from './snapshot.js';
import { namespaceOf, statusSnapshot } from './status.js';

/** The full api.Allocation of an allocation id. */
function fetchAllocation(api: ApiClient, id: string, namespace: string): Promise<Json> {
  return api.request<Json>('GET', `/v1/allocation/${seg(id)}${query({ namespace })}`);
}

export async function remoteAllocStatus(
  api: ApiClient,
  o: Output,
  target: string,
  cmd: Command,
): Promise<void> {
  const namespace = namespaceOf(cmd);
  // Every allocation known, so a prefix resolves (or is ambiguous) exactly as on the state.
  const known = await statusSnapshot(api, namespace, () => false);
  const full = await fetchAllocation(api, allocById(known, target).id, namespace);
  const alloc = allocationOf(full);
  const state = { ...known, allocations: { ...known.allocations, [alloc.id]: alloc } };
  // The version it runs (its reschedule policy) and its deployment (its status).
  if (full.Job && typeof full.Job === 'object')
    state.jobs = {
      ...state.jobs,
      [alloc.job]: { versions: [jobVersionOf(full.Job as Json)], stopped: false },
    };
  if (alloc.deployment_id) {
    const d = await api.request<Json>(
      'GET',
      `/v1/deployment/${seg(alloc.deployment_id)}${query({ namespace })}`,
    );
    state.deployments = { ...state.deployments, [alloc.deployment_id]: deploymentOf(d) };
  }
  printAllocStatus(o, state, alloc);
}

export interface RemoteLogOptions {
  task?: string;
  stderr?: boolean;
  f?: boolean;
  tail?: string;
}

/** Without `-task`, the first main task that started (a prestart hook is seldom what is asked). */
function defaultTask(full: Json, alloc: Allocation): string {
  const started = Object.keys(alloc.task_states);
  const job =
    full.Job && typeof full.Job === 'object' ? normalizedJobOf(full.Job as Json) : undefined;
  const tasks = job?.group.find((g) => g.name === alloc.group)?.task ?? [];
  const main = tasks.find((t) => !hookOf(t) && started.includes(t.name));
  const name = main?.name ?? started[0];
  if (!name) throw new UserError(`allocation ${alloc.id.slice(0, 8)} has no started task`);
  return name;
}

export async function remoteLogs(
  api: ApiClient,
  o: Output,
  target: string,
  opts: RemoteLogOptions,
  cmd: Command,
  signal: AbortSignal,
): Promise<void> {
  const namespace = namespaceOf(cmd);
  const known = await statusSnapshot(api, namespace, () => false);
  const found = findAlloc(known, target, { anyStatus: true, namespace });
  const full = await fetchAllocation(api, found.id, namespace);
  const alloc = allocationOf(full);
  const task = opts.task ?? defaultTask(full, alloc);
  if (alloc.job === jobKey(namespace, target))
    o.err(
      `==> ${alloc.name} ${alloc.id.slice(0, 8)} on ${alloc.node} (${alloc.client_status}), task "${task}"`,
    );
  const path = (more: Record<string, string | number | boolean>) =>
    `/v1/client/fs/logs/${seg(alloc.id)}${query({
      namespace,
      task,
      type: opts.stderr ? 'stderr' : 'stdout',
      plain: true,
      ...more,
    })}`;
  let offset = 0;
  if (opts.tail !== undefined) {
    // The API counts bytes, not lines: the last lines of what there is now, then what follows.
    const lines = Number(opts.tail);
    const all = await readAll(await api.stream(path({}), signal));
    offset = all.length;
    process.stdout.write(lastLines(all, lines));
    if (!opts.f) return;
  }
  const res = await api.stream(path({ follow: Boolean(opts.f), offset }), signal);
  await new Promise<void>((resolve, reject) => {
    res.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    res.on('end', resolve);
    res.on('close', resolve);
    res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
  });
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** The last `n` lines of `text` (a final line without its newline counts). */
export function lastLines(text: Buffer, n: number): Buffer {
  if (n <= 0) return Buffer.alloc(0);
  let end = text.length;
  if (end > 0 && text[end - 1] === 0x0a) end--;
  let at = end;
  for (let seen = 0; at > 0;) {
    if (text[at - 1] === 0x0a && ++seen === n) break;
    at--;
  }
  return text.subarray(at);
}
