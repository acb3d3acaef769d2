/**
 * The leader's reconcile loop (issue 15). The core starts it when its server gains leadership
 * and stops it when it loses it. A pass (`pass.ts`) runs
 * - at once, on gaining leadership;
 * - every `reconcileIntervalMs` (these passes also look for drift);
 * - on `wake()`, which the core calls when the state's change index moves;
 * - when a delayed follow-up falls due: a reschedule delay, a periodic launch time, a node's
 *   grace period or an allocation's `disconnect.lost_after` running out;
 * - when the node checks (every `nodeCheckIntervalMs`, each node's transport fingerprinted, as
 *   observe does) find a node down or back.
 * Passes never overlap: a trigger during a pass runs one more pass after it. Every change goes
 * through `ctx.write` as `server:<name>`.
 */
import { METRICS } from '../metrics/names.js';
import type { ServerContext } from '../types.js';
import { NotLeaderError } from '../types.js';
import { NodeHealth } from './node-health.js';
import { runPass, type ControllerMemory } from './pass.js';

export interface Controller {
  /** Stops the timers and waits for the pass in hand to finish (bounded by `STOP_WAIT_MS`). */
  stop(): Promise<void>;
  /** Runs a pass soon (the state changed). */
  wake(): void;
}

/** How long `stop` waits for a pass in hand (a rollout it carries on may take longer). */
export const STOP_WAIT_MS = 30_000;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function startController(ctx: ServerContext): Controller {
  const clock = ctx.engine.clock;
  const memory: ControllerMemory = {
    health: new NodeHealth(ctx.settings.nodeGraceMs, clock.now()),
    considered: new Map(),
    said: new Set(),
  };
  let stopped = false;
  let running: Promise<void> | undefined;
  let again: { drift: boolean } | undefined;
  let dueAt: number | undefined;
  let dueTimer: ReturnType<typeof setTimeout> | undefined;
  let checking = false;

  const schedule = (drift: boolean): void => {
    if (stopped) return;
    if (running) {
      again = { drift: drift || (again?.drift ?? false) };
      return;
    }
    running = pass(drift).finally(() => {
      running = undefined;
      const next = again;
      again = undefined;
      if (next) schedule(next.drift);
    });
  };

  const pass = async (drift: boolean): Promise<void> => {
    if (!ctx.leadership().isLeader) return;
    const started = Date.now();
    try {
      const r = await runPass(ctx, memory, { checkDrift: drift });
      dueAt = undefined;
      setDue(r.nextAt);
    } catch (err) {
      if (err instanceof NotLeaderError) ctx.log.info('reconcile pass skipped: not the leader');
      else
        ctx.log.error(`reconcile pass failed: ${(err as Error).message}`, {
          component: 'controller',
        });
    } finally {
      ctx.metrics.sample(METRICS.reconcileDuration, Date.now() - started);
    }
  };

  /** Runs a pass at `at` (ms), unless one is already set for earlier. */
  const setDue = (at: number | undefined): void => {
    if (at === undefined || stopped || (dueAt !== undefined && dueAt <= at)) return;
    dueAt = at;
    clearTimeout(dueTimer);
    dueTimer = setTimeout(
      () => {
        dueAt = undefined;
        schedule(false);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - clock.now())),
    );
  };

  /** Fingerprints every node; a node found down or back wakes a pass. */
  const checkNodes = async (): Promise<void> => {
    if (checking || stopped || !ctx.leadership().isLeader) return;
    checking = true;
    try {
      const nodes = [...ctx.engine.nodes.values()];
      const before = new Map(
        nodes.map((n) => [n.name, memory.health.condition(n.name, clock.now()).kind]),
      );
      await Promise.all(
        nodes.map(async (n) => {
          try {
            await ctx.engine.transport(n).fingerprint();
            memory.health.record(n.name, true, clock.now());
          } catch (err) {
            memory.health.record(n.name, false, clock.now(), (err as Error).message);
          }
        }),
      );
      const now = clock.now();
      const changed = nodes.some((n) => {
        const after = memory.health.condition(n.name, now).kind;
        const was = before.get(n.name);
        return (after === 'down' && was !== 'down') || (after === 'up' && was === 'down');
      });
      if (changed) schedule(false);
      setDue(
        memory.health.nextDownAt(
          nodes.map((n) => n.name),
          now,
        ),
      );
    } finally {
      checking = false;
    }
  };

  const passTimer = setInterval(() => schedule(true), ctx.settings.reconcileIntervalMs);
  const checkTimer = setInterval(() => void checkNodes(), ctx.settings.nodeCheckIntervalMs);
  ctx.log.info('controller started', { component: 'controller' });
  schedule(true);

  return {
    wake: () => schedule(false),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(passTimer);
      clearInterval(checkTimer);
      clearTimeout(dueTimer);
      const inHand = running;
      if (inHand) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const finished = await Promise.race([
          inHand.then(() => true),
          new Promise<boolean>(
            (resolve) => (timer = setTimeout(() => resolve(false), STOP_WAIT_MS)),
          ),
        ]);
        clearTimeout(timer);
        if (!finished)
          ctx.log.warn(
            `controller stopped while a pass still runs (waited ${STOP_WAIT_MS / 1000} s); it ends on its own`,
            { component: 'controller' },
          );
      }
      ctx.log.info('controller stopped', { component: 'controller' });
    },
  };
}
