/**
 * `drover job periodic force JOB` and `drover job dispatch JOB`: launch a child of a periodic or
 * parameterized job now, planned and applied like any other change (approval, -auto-approve,
 * -out, -json), as Nomad's `job periodic force` and `job dispatch` do.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DISPATCH_PAYLOAD_LIMIT } from '../../jobspec/launch.js';
import { makePlan, planDispatch, planPeriodicForce } from '../../ops/index.js';
import { collect } from '../args.js';
import type { Output } from '../output.js';
import { UserError, withSession } from '../with-session.js';
import { lookUp, mutate } from './jobs.js';
import { dispatchRequest, periodicForceRequest, remoteChange } from '../remote/writes.js';
import { selectedNamespace } from '../namespace.js';
import { idInNamespace } from '../../state/job-key.js';
import {
  addApplyOptions,
  addOutOption,
  addStateOptions,
  lockedApply,
  type PlanOptions,
} from './plan.js';

type LaunchOptions = PlanOptions & { meta?: string[]; idempotencyToken?: string };

export function registerLaunchCommands(jobCmd: Command, io: (json: boolean) => Output): void {
  const periodic = jobCmd
    .command('periodic')
    .description('periodic jobs: `force` launches one now');
  addOutOption(
    addApplyOptions(
      addStateOptions(
        periodic
          .command('force')
          .description(
            'launch a child <job>/periodic-<unix time> of a periodic job now (even with prohibit_overlap, as Nomad does)',
          )
          .argument('<job>'),
      ),
    ),
  )
    .option('--detach', 'return once the child’s allocations started')
    .option('--json', 'print machine-readable JSON')
    .action(
      (jobId: string, opts: PlanOptions, cmd: Command) =>
        remoteChange(io, opts, cmd, (_api, ns) => periodicForceRequest(jobId, ns)) ??
        mutate(io, opts, 'periodic force', (session, observed) => {
          const plan = planPeriodicForce(session, observed, lookUp(observed, opts, jobId));
          const child = idInNamespace(plan.jobs[0]!.id, selectedNamespace(opts));
          announce(io(Boolean(opts.json)), opts, 'Launched Job ID', child, jobId);
          return plan;
        }),
    );

  addOutOption(
    addApplyOptions(
      addStateOptions(
        jobCmd
          .command('dispatch')
          .description(
            'launch a child <job>/dispatch-<unix time>-<8 hex> of a parameterized job, with meta and a payload',
          )
          .argument('<job>')
          .argument('[payload]', 'a file whose content is the payload, or - for standard input'),
      ),
    ),
  )
    .option('--meta <key=value>', 'a meta value for the child (repeatable)', collect, [])
    .option(
      '--idempotency-token <token>',
      'a second dispatch with the same token returns the child the first launched',
    )
    .option('--detach', 'return once the child’s allocations started')
    .option('--json', 'print machine-readable JSON')
    .action(
      async (
        jobId: string,
        payloadSource: string | undefined,
        opts: LaunchOptions,
        cmd: Command,
      ) => {
        const remote = remoteChange(io, opts, cmd, (_api, ns) =>
          dispatchRequest(
            jobId,
            {
              meta: parseMeta(opts.meta ?? []),
              payload: readPayload(payloadSource),
              ...(opts.idempotencyToken ? { idempotencyToken: opts.idempotencyToken } : {}),
            },
            ns,
          ),
        );
        if (remote) return remote;
        const o = io(Boolean(opts.json));
        await withSession(o, opts, async (session) => {
          const meta = parseMeta(opts.meta ?? []);
          const payload = readPayload(payloadSource);
          let existing: string | undefined;
          await lockedApply(o, session, opts, 'dispatch', (observed) => {
            const r = planDispatch(session, observed, lookUp(observed, opts, jobId), {
              meta,
              payload,
              uuid: randomUUID(),
              ...(opts.idempotencyToken ? { idempotencyToken: opts.idempotencyToken } : {}),
            });
            if ('existing' in r) {
              existing = idInNamespace(r.existing, selectedNamespace(opts));
              // Nomad answers with the child already launched; there is nothing to apply.
              return { plan: makePlan(session, observed, []), saved: false };
            }
            announce(o, opts, 'Dispatched Job ID', r.childId, jobId);
            return { plan: r.plan, saved: false };
          });
          if (existing !== undefined)
            announce(o, opts, 'Dispatched Job ID', existing, jobId, opts.idempotencyToken);
        });
      },
    );
}

/**
 * The child's id, as Nomad prints it, before the plan; with -json a `launch` line in the stream.
 * `token`: the child existed already, launched with that idempotency token.
 */
function announce(
  o: Output,
  opts: PlanOptions,
  label: string,
  id: string,
  parent: string,
  token?: string,
): void {
  // `-out -json` prints the plan as one JSON document; the child is its job.
  if (o.json && opts.out) return;
  if (o.json)
    o.out(
      JSON.stringify({
        type: 'launch',
        job: id,
        namespace: selectedNamespace(opts),
        parent,
        existing: token !== undefined,
      }),
    );
  else if (token !== undefined)
    o.out(`${label} = ${id} (launched before with idempotency token ${JSON.stringify(token)})`);
  else o.out(`${label} = ${id}\n`);
}

/** `-meta k=v` flags as a map; a key given twice is refused, as Nomad refuses duplicates. */
export function parseMeta(flags: readonly string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UserError(`-meta takes key=value, got ${JSON.stringify(flag)}`);
    const key = flag.slice(0, eq);
    if (key in meta) throw new UserError(`Duplicate key ${JSON.stringify(key)} in passed metadata`);
    meta[key] = flag.slice(eq + 1);
  }
  return meta;
}

/** The payload from a file or standard input (`-`); none without an argument. */
function readPayload(source: string | undefined): Uint8Array {
  if (source === undefined) return new Uint8Array();
  let data: Buffer;
  try {
    data = readFileSync(source === '-' ? 0 : source);
  } catch (err) {
    throw new UserError(`cannot read the payload from ${source}: ${(err as Error).message}`);
  }
  // Checked again with the job's rules; said here too so a huge file fails before anything else.
  if (data.length > DISPATCH_PAYLOAD_LIMIT)
    throw new UserError(
      `Payload exceeds maximum size; ${data.length} > ${DISPATCH_PAYLOAD_LIMIT} (16 KiB)`,
    );
  return data;
}
