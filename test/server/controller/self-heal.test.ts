/**
 * Drift and self-heal: a raw_exec process killed and started again by hand with another
 * command (as test/e2e/drift does). The job that opts in (meta drover.self_heal = "true") has its
 * drifted allocation replaced by the reconcile loop; the other's drift is only logged and
 * recorded as an event, and its allocation left as it is.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../src/server/controller/index.js';
import { allocProcesses } from '../../providers/process-harness.js';
import { drover } from '../../e2e/cli.js';
import { eventually, liveAllocs, serverHarness, type Harness } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-controller-heal-'));
const healed = `ctl-healed-${process.pid}`;
const watched = `ctl-watched-${process.pid}`;
const started: number[] = [];

const job = (id: string, meta: string) => `job "${id}" {
${meta}
  group "g" {
    update {
      min_healthy_time = "0s"
    }
    task "sleeper" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "sleep"
        args    = ["300"]
      }
    }
  }
}
`;

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);
writeFileSync(
  join(dir, 'healed.nomad.hcl'),
  job(healed, '  meta = {\n    "drover.self_heal" = "true"\n  }'),
);
writeFileSync(join(dir, 'watched.nomad.hcl'), job(watched, ''));

let h: Harness;
let controller: Controller | undefined;

/** Kills the allocation's processes and starts `sleep 400` claiming to be its task. */
function driftByHand(allocId: string): void {
  for (const pid of allocProcesses(allocId)) process.kill(pid, 'SIGKILL');
  const child = spawn('sleep', ['400'], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH, NOMAD_ALLOC_ID: allocId, NOMAD_TASK_NAME: 'sleeper' },
  });
  child.unref();
  started.push(child.pid!);
}

beforeAll(async () => {
  for (const f of ['healed.nomad.hcl', 'watched.nomad.hcl']) {
    const r = await drover(dir, ['apply', '-auto-approve', f]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  h = await serverHarness(dir);
});

afterAll(async () => {
  await controller?.stop();
  await h?.close();
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone with the allocation it claimed to be.
    }
  }
  for (const id of [healed, watched]) await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  rmSync(dir, { recursive: true, force: true });
});

describe('drift', { timeout: 60_000 }, () => {
  it('is healed where the job opts in, and only logged elsewhere', async () => {
    const s0 = await h.state();
    const [a] = liveAllocs(s0, healed);
    const [b] = liveAllocs(s0, watched);
    driftByHand(a!.id);
    driftByHand(b!.id);
    await new Promise((r) => setTimeout(r, 300));
    controller = startController(h.ctx);

    const replacement = await eventually(
      'the drifted allocation replaced',
      async () => liveAllocs(await h.state(), healed).find((x) => x.id !== a!.id),
      20_000,
    );
    expect(replacement.previous_allocation).toBe(a!.id);
    const s = await h.state();
    expect(s.allocations[a!.id]?.desired_status).toBe('stop');
    // The process started by hand went with the allocation it claimed to be.
    expect(allocProcesses(a!.id)).toEqual([]);
    const log = h.lines.map((l) => l.message).join('\n');
    expect(log).toContain(`job ${healed}: 1 drifted allocation replaced`);

    // The other job's drift is said once, with how to opt in, and recorded.
    expect(liveAllocs(s, watched).map((x) => x.id)).toEqual([b!.id]);
    const warning = h.lines.find(
      (l) => l.level === 'warn' && l.message.startsWith(`job ${watched}:`),
    );
    expect(warning?.message).toContain('drifted (command, env changed by hand)');
    expect(warning?.message).toContain('not replaced (self-heal is off');
    expect(s.events.find((e) => e.what === 'server.drift')).toMatchObject({
      job: watched,
      alloc: b!.id,
      who: 'server:test',
    });
  });
});
