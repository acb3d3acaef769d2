/**
 * A raw_exec task killed with SIGKILL on the local node is running again without anyone running
 * apply: restarted in place by its supervisor (the `restart` stanza), or, with no restarts left,
 * replaced by the leader's reconcile loop once the reschedule delay has passed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../src/server/controller/index.js';
import { drover } from '../../e2e/cli.js';
import { eventually, liveAllocs, serverHarness, taskPid, type Harness } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-controller-killed-'));
const allocRoot = join(dir, 'alloc');
const restarted = `ctl-restart-${process.pid}`;
const rescheduled = `ctl-resched-${process.pid}`;

const job = (id: string, policy: string) => `job "${id}" {
  group "g" {
${policy}
    update {
      min_healthy_time = "0s"
    }
    task "sleeper" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "sleep"
        args    = ["3600"]
      }
    }
  }
}
`;

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
);
writeFileSync(
  join(dir, 'restarted.nomad.hcl'),
  job(
    restarted,
    `    restart {\n      attempts = 3\n      interval = "30s"\n      delay    = "200ms"\n      mode     = "fail"\n    }`,
  ),
);
writeFileSync(
  join(dir, 'rescheduled.nomad.hcl'),
  job(
    rescheduled,
    `    restart {\n      attempts = 0\n      mode     = "fail"\n    }\n    reschedule {\n      delay          = "5s"\n      delay_function = "constant"\n      unlimited      = true\n    }`,
  ),
);

let h: Harness;
let controller: Controller | undefined;

beforeAll(async () => {
  for (const f of ['restarted.nomad.hcl', 'rescheduled.nomad.hcl']) {
    const r = await drover(dir, ['apply', '-auto-approve', f]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  h = await serverHarness(dir);
  controller = startController(h.ctx);
});

afterAll(async () => {
  await controller?.stop();
  await h?.close();
  for (const id of [restarted, rescheduled])
    await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a killed raw_exec task', { timeout: 60_000 }, () => {
  it('is restarted in place by its supervisor while restarts are left', async () => {
    const [alloc] = liveAllocs(await h.state(), restarted);
    const pid = await eventually(
      'the task pid',
      () => taskPid(allocRoot, alloc!.id, 'sleeper'),
      5_000,
    );
    process.kill(pid, 'SIGKILL');
    const again = await eventually(
      'the task running again',
      () => {
        const p = taskPid(allocRoot, alloc!.id, 'sleeper');
        return p !== undefined && p !== pid ? p : undefined;
      },
      10_000,
    );
    expect(again).not.toBe(pid);
    // The same allocation runs on: a restart is not a reschedule.
    expect(liveAllocs(await h.state(), restarted).map((a) => a.id)).toEqual([alloc!.id]);
  });

  it('is replaced by the reconcile loop after the reschedule delay when no restart is left', async () => {
    const [alloc] = liveAllocs(await h.state(), rescheduled);
    const pid = await eventually(
      'the task pid',
      () => taskPid(allocRoot, alloc!.id, 'sleeper'),
      5_000,
    );
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const replacement = await eventually(
      'a replacement running',
      async () => liveAllocs(await h.state(), rescheduled).find((a) => a.id !== alloc!.id),
      20_000,
    );
    const tookMs = Date.now() - killedAt;
    // Not before the delay: the pass that saw it fail waited for it (less Nomad's one-second
    // reschedule window and the whole seconds the supervisor records the task's end in).
    expect(tookMs).toBeGreaterThanOrEqual(3_000);
    expect(replacement.previous_allocation).toBe(alloc!.id);
    expect(replacement.reschedule_tracker?.events).toEqual([
      expect.objectContaining({ prev_alloc: alloc!.id, prev_node: 'local', delay_ms: 5_000 }),
    ]);
    const s = await h.state();
    expect(s.allocations[alloc!.id]).toMatchObject({
      desired_status: 'stop',
      client_status: 'failed',
    });
    // The decision is logged with its reason and recorded with the server as actor.
    expect(h.lines.map((l) => l.message).join('\n')).toMatch(
      new RegExp(
        `job ${rescheduled}: ${rescheduled}\\.g\\[0\\] rescheduled on local \\(attempt 1, delay 5000 ms\\)`,
      ),
    );
    expect(s.events.some((e) => e.who === 'server:test' && e.job === rescheduled)).toBe(true);
  });
});
