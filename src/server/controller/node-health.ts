/**
 * Node health as the leader sees it (Nomad's heartbeat timers, `nomad/heartbeat.go`, without an
 * agent: the leader checks each node's transport instead of waiting for a heartbeat). A node
 * that has not answered for the grace period is down; one that answers again is up. Nothing
 * here does I/O: checks are fed in with their time.
 *
 * A new leader knows nothing of earlier answers, so every node starts as last seen when the
 * controller started: a node is never declared down sooner than one grace period after a
 * leadership change (Nomad also resets heartbeat timers on a new leader).
 */

export type NodeCondition =
  /** Answered at the last check. */
  | { kind: 'up' }
  /** Did not answer, but the grace period has not run out: nothing is decided yet. */
  | { kind: 'silent'; since: number; reason: string; downAt: number }
  /** Silent for the grace period: its allocations are lost (or held, per `disconnect`). */
  | { kind: 'down'; since: number; reason: string; downAt: number };

export interface NodeTransition {
  node: string;
  to: 'down' | 'up';
  /** Why, as the event and the log say it. */
  reason: string;
}

interface Record_ {
  lastOk: number;
  failing?: { since: number; reason: string };
  /** Declared down (a `server.node.down` event was recorded); cleared when it answers. */
  declaredDown: boolean;
}

export class NodeHealth {
  private readonly nodes = new Map<string, Record_>();

  constructor(
    private readonly graceMs: number,
    private readonly startedAt: number,
  ) {}

  /** Records the result of one check of `node` at `now`. */
  record(node: string, ok: boolean, now: number, reason = ''): void {
    const r = this.entry(node);
    if (ok) {
      r.lastOk = Math.max(r.lastOk, now);
      delete r.failing;
    } else if (!r.failing) r.failing = { since: now, reason };
    else r.failing.reason = reason || r.failing.reason;
  }

  condition(node: string, now: number): NodeCondition {
    const r = this.entry(node);
    if (!r.failing) return { kind: 'up' };
    const downAt = r.lastOk + this.graceMs;
    const base = { since: r.failing.since, reason: r.failing.reason, downAt };
    return now >= downAt ? { kind: 'down', ...base } : { kind: 'silent', ...base };
  }

  /**
   * Nodes whose declared state changes at `now`: down once silent past the grace period, up
   * once a node declared down answers again. Each transition is returned once.
   */
  transitions(nodes: Iterable<string>, now: number): NodeTransition[] {
    const out: NodeTransition[] = [];
    for (const node of nodes) {
      const r = this.entry(node);
      const c = this.condition(node, now);
      if (c.kind === 'down' && !r.declaredDown) {
        r.declaredDown = true;
        out.push({
          node,
          to: 'down',
          reason: `no answer for ${Math.round((now - r.lastOk) / 1000)} s (grace ${Math.round(this.graceMs / 1000)} s): ${c.reason}`,
        });
      } else if (c.kind === 'up' && r.declaredDown) {
        r.declaredDown = false;
        out.push({ node, to: 'up', reason: 'the node answers again' });
      }
    }
    return out;
  }

  /** The earliest time after `now` at which a silent node becomes down. */
  nextDownAt(nodes: Iterable<string>, now: number): number | undefined {
    let next: number | undefined;
    for (const node of nodes) {
      const c = this.condition(node, now);
      if (c.kind === 'silent' && (next === undefined || c.downAt < next)) next = c.downAt;
    }
    return next;
  }

  private entry(node: string): Record_ {
    let r = this.nodes.get(node);
    if (!r) {
      r = { lastOk: this.startedAt, declaredDown: false };
      this.nodes.set(node, r);
    }
    return r;
  }
}
