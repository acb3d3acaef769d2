/**
 * A rollout left by `drover apply -detach` is carried on by the leader to its end, without
 * anyone running apply: the next batches and their health gates (max_parallel = 1), and canaries
 * promoted by auto_promote once healthy. raw_exec on the local node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestDeployment } from '../../../src/ops/index.js';
import { startController, type Controller } from '../../../src/server/controller/index.js';
import { drover } from '../../e2e/cli.js';
import { eventually, liveAllocs, serverHarness, type Harness } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-controller-detached-'));
const rolling = `ctl-rolling-${process.pid}`;
const canary = `ctl-canary-${process.pid}`;
const manual = `ctl-manual-${process.pid}`;

const job = (id: string, update: string, seconds: number) => `job "${id}" {
  group "g" {
    count = 3
    update {
      max_parallel     = 1
      min_healthy_time = "1s"
${update}
    }
    task "sleeper" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "sleep"
        args    = ["${seconds}"]
      }
    }
  }
}
`;

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);

let h: Harness;
let controller: Controller | undefined;

async function apply(id: string, update: string, seconds: number, detach: boolean) {
  const file = join(dir, `${id}.nomad.hcl`);
  writeFileSync(file, job(id, update, seconds));
  const r = await drover(dir, ['apply', '-auto-approve', ...(detach ? ['-detach'] : []), file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  await apply(rolling, '', 3600, false);
  await apply(canary, '      canary = 1\n      auto_promote = true', 3600, false);
  await apply(rolling, '', 3601, true);
  await apply(canary, '      canary = 1\n      auto_promote = true', 3601, true);
  await apply(manual, '      canary = 1', 3600, false);
  await apply(manual, '      canary = 1', 3601, true);
  h = await serverHarness(dir);
});

afterAll(async () => {
  await controller?.stop();
  await h?.close();
  for (const id of [rolling, canary, manual])
    await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a detached rollout', { timeout: 90_000 }, () => {
  it('is left running by apply -detach and finished by the reconcile loop', async () => {
    let s = await h.state();
    for (const id of [rolling, canary]) expect(latestDeployment(s, id)?.status).toBe('running');
    controller = startController(h.ctx);
    for (const id of [rolling, canary]) {
      s = await eventually(
        `the deployment of ${id} successful`,
        async () => {
          const now = await h.state();
          return latestDeployment(now, id)?.status === 'successful' ? now : undefined;
        },
        45_000,
      );
      const live = liveAllocs(s, id);
      expect(live).toHaveLength(3);
      expect(live.every((a) => a.version === 1)).toBe(true);
    }
    // Without auto_promote the canary is carried to its health gate and waits for a person.
    await eventually(
      'the manual canary waiting',
      () =>
        h.lines.some(
          (l) =>
            l.message === `job ${manual}: canaries wait for promotion (drover promote ${manual})`,
        ),
      20_000,
    );
    s = await h.state();
    expect(latestDeployment(s, manual)).toMatchObject({ status: 'running' });
    expect(latestDeployment(s, manual)!.groups.g).toMatchObject({
      promoted: false,
      placed_canaries: [expect.any(String)],
    });
    // Done: later passes find nothing to do.
    const said = h.lines.length;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(h.lines.slice(said).filter((l) => /^job /.test(l.message))).toEqual([]);
    const d = latestDeployment(s, canary)!;
    expect(d.groups.g).toMatchObject({ promoted: true, desired_canaries: 1, healthy: 3 });
    expect(h.lines.map((l) => l.message).join('\n')).toMatch(
      new RegExp(`job ${rolling}: .*deployment [0-9a-f]{8} continued`),
    );
  });
});
