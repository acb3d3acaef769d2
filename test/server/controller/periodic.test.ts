/**
 * Periodic jobs launched by the leader at their cron times (7-field crons, every two seconds),
 * on the local node with raw_exec: children `<id>/periodic-<unix>` at the scheduled seconds, and
 * with prohibit_overlap no launch while the last child still runs (skips recorded as events).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../src/server/controller/index.js';
import { childrenOf } from '../../../src/ops/launch.js';
import { drover } from '../../e2e/cli.js';
import { eventually, serverHarness, type Harness } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-controller-periodic-'));
const quick = `ctl-tick-${process.pid}`;
const slow = `ctl-slow-${process.pid}`;

const periodic = (id: string, overlap: boolean, script: string) => `job "${id}" {
  type = "batch"
  periodic {
    crons            = ["*/2 * * * * * *"]
    prohibit_overlap = ${overlap}
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "${script}"]
      }
    }
  }
}
`;

writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);
writeFileSync(join(dir, 'quick.nomad.hcl'), periodic(quick, false, 'echo tick'));
writeFileSync(join(dir, 'slow.nomad.hcl'), periodic(slow, true, 'sleep 5'));

let h: Harness;
let controller: Controller | undefined;

beforeAll(async () => {
  for (const f of ['quick.nomad.hcl', 'slow.nomad.hcl']) {
    const r = await drover(dir, ['apply', '-auto-approve', f]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  h = await serverHarness(dir);
  controller = startController(h.ctx);
});

afterAll(async () => {
  await controller?.stop();
  const state = await h?.state();
  await h?.close();
  for (const id of [
    quick,
    slow,
    ...(state ? [...childrenOf(state, quick), ...childrenOf(state, slow)] : []),
  ])
    await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  rmSync(dir, { recursive: true, force: true });
});

const launchTimes = (ids: string[]) => ids.map((c) => Number(/periodic-(\d+)$/.exec(c)![1]));

describe('periodic launches', { timeout: 60_000 }, () => {
  it('launches a child at each cron time, which runs to completion', async () => {
    const children = await eventually(
      'three launches',
      async () => {
        const c = childrenOf(await h.state(), quick);
        return c.length >= 3 ? c : undefined;
      },
      15_000,
    );
    const times = launchTimes(children);
    // At the scheduled seconds (even ones), one per time, none twice.
    for (const t of times) expect(t % 2).toBe(0);
    expect(new Set(times).size).toBe(times.length);
    const first = children[0]!;
    await eventually(
      'the first child complete',
      async () =>
        Object.values((await h.state()).allocations).find(
          (a) => a.job === first && a.client_status === 'complete',
        ),
      10_000,
    );
    const s = await h.state();
    expect(s.jobs[first]!.versions[0]!.launch).toMatchObject({ parent: quick, kind: 'periodic' });
    expect(h.lines.map((l) => l.message).join('\n')).toContain(
      `periodic job ${quick}: launch time`,
    );
  });

  it('skips launches while a child runs with prohibit_overlap', async () => {
    const children = await eventually(
      'two launches of the slow job',
      async () => {
        const c = childrenOf(await h.state(), slow);
        return c.length >= 2 ? c : undefined;
      },
      25_000,
    );
    const [a, b] = launchTimes(children);
    // The child sleeps 5 s: the launches at +2 s and +4 s were skipped.
    expect(b! - a!).toBeGreaterThanOrEqual(6);
    const skips = (await h.state()).events.filter(
      (e) => e.what === 'server.periodic.skip' && e.job === slow,
    );
    expect(skips.length).toBeGreaterThanOrEqual(2);
    expect(skips[0]!.detail).toContain('prohibit_overlap');
  });
});
