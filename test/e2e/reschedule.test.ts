/**
 * Reschedules and canaries through the real CLI on the local node (raw_exec): a batch task that
 * fails on its first run is rescheduled within the same apply, which exits 0; `alloc status`
 * shows the failed allocation's end, events and replacement; `logs JOB` shows the completed
 * one's output. A re-apply of a job whose canary awaits promotion exits 5 and changes nothing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-reschedule-'));
const marker = join(dir, 'ran-once');
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);

const flaky = join(dir, 'flaky.nomad.hcl');
writeFileSync(
  flaky,
  `job "flaky" {
  type = "batch"

  group "work" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    reschedule {
      attempts       = 1
      interval       = "1h"
      delay          = "5s"
      delay_function = "constant"
      unlimited      = false
    }

    task "once" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "if [ -e ${marker} ]; then echo second run succeeded; exit 0; fi; touch ${marker}; echo first run fails; exit 7"]
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
`,
);

/** A service job of 2 sleeping processes whose updates go through 1 canary. */
function canaryJob(release: string): string {
  const path = join(dir, `canary-${release}.nomad.hcl`);
  writeFileSync(
    path,
    `job "canaried" {
  group "app" {
    count = 2

    update {
      max_parallel      = 1
      canary            = 1
      health_check      = "task_states"
      min_healthy_time  = "1s"
      healthy_deadline  = "30s"
      progress_deadline = "1m"
    }

    task "sleeper" {
      driver = "raw_exec"

      config {
        command = "/bin/sleep"
        args    = ["600"]
      }

      env {
        RELEASE = "${release}"
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
`,
  );
  return path;
}

interface Alloc {
  id: string;
  version: number;
  canary?: boolean;
  desired_status: string;
  client_status: string;
  previous_allocation?: string;
  next_allocation?: string;
}

async function allocations(job: string): Promise<Alloc[]> {
  const r = await drover(dir, ['status', job, '-json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { allocations: Alloc[] }).allocations;
}

afterAll(async () => {
  for (const job of ['flaky', 'canaried'])
    await drover(dir, ['stop', '-auto-approve', '-purge', job]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a batch task that fails on its first run', () => {
  let failed: Alloc;
  let done: Alloc;

  it('is rescheduled within the apply, which exits 0', async () => {
    const plan = await drover(dir, ['plan', flaky]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/reschedule\s+an allocation that fails is replaced/);
    expect(plan.stdout).toMatch(/5s after; reschedule attempt 1 of 1, delay 5s/);

    const r = await drover(dir, ['apply', '-auto-approve', flaky]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(r.stdout).toMatch(/rescheduling.*reschedule delay 5s, attempt 1 of 1/);
    const allocs = await allocations('flaky');
    expect(allocs.map((a) => [a.desired_status, a.client_status]).sort()).toEqual([
      ['run', 'complete'],
      ['stop', 'failed'],
    ]);
    failed = allocs.find((a) => a.client_status === 'failed')!;
    done = allocs.find((a) => a.client_status === 'complete')!;
    expect(done.previous_allocation).toBe(failed.id);
    expect(failed.next_allocation).toBe(done.id);
  });

  it('alloc status shows how the failed one ended, its events and its replacement', async () => {
    const r = await drover(dir, ['alloc', 'status', failed.id.slice(0, 8)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^ID\\s+= ${failed.id}$`, 'm'));
    expect(r.stdout).toMatch(/^Client Status\s+= failed$/m);
    expect(r.stdout).toMatch(new RegExp(`^Replacement Alloc ID\\s+= ${done.id}$`, 'm'));
    expect(r.stdout).toMatch(/^Task "once" is "dead"$/m);
    expect(r.stdout).toMatch(/^Exit Code\s+= 7$/m);
    expect(r.stdout).toMatch(/alloc\.failed\s+task "once" exited with code 7/);
    expect(r.stdout).toMatch(/alloc\.stop\s+rescheduled: replaced by/);

    const next = await drover(dir, ['alloc', 'status', done.id, '-json']);
    const j = JSON.parse(next.stdout) as {
      previous_allocation: string;
      reschedule_tracker: { events: { prev_alloc: string; delay_ms: number }[] };
    };
    expect(j.previous_allocation).toBe(failed.id);
    expect(j.reschedule_tracker.events).toEqual([
      expect.objectContaining({ prev_alloc: failed.id, delay_ms: 5000 }),
    ]);
  });

  it('logs JOB shows the newest allocation (the completed one) and says which', async () => {
    const r = await drover(dir, ['logs', 'flaky']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('second run succeeded');
    expect(r.stderr).toContain(`flaky.work[0] ${done.id.slice(0, 8)} on local (complete)`);
    const first = await drover(dir, ['logs', failed.id]);
    expect(first.stdout).toContain('first run fails');
  });

  it('the next plan changes nothing', async () => {
    const r = await drover(dir, ['plan', '-detailed-exitcode', flaky]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('canaries awaiting promotion', () => {
  it('a re-apply of the same job exits 5 again and changes nothing', async () => {
    const v1 = await drover(dir, ['apply', '-auto-approve', canaryJob('v1')]);
    expect(v1.code, v1.stdout + v1.stderr).toBe(0);
    const v2 = canaryJob('v2');
    const first = await drover(dir, ['apply', '-auto-approve', v2]);
    expect(first.code, first.stdout + first.stderr).toBe(5);
    const before = await allocations('canaried');
    expect(before.filter((a) => a.canary && a.client_status === 'running')).toHaveLength(1);

    const again = await drover(dir, ['apply', '-auto-approve', v2]);
    expect(again.code, again.stdout + again.stderr).toBe(5);
    expect(again.stdout).toMatch(/promote\s+wait for drover promote, then stop/);
    expect(again.stdout + again.stderr).toMatch(/requires manual promotion/);
    const after = await allocations('canaried');
    const view = (as: Alloc[]) =>
      as.map((a) => [a.id, a.version, a.desired_status, a.client_status]).sort();
    expect(view(after)).toEqual(view(before));
    expect(
      after.filter((a) => a.desired_status === 'run' && a.client_status === 'running'),
    ).toHaveLength(3);

    const promote = await drover(dir, ['promote', 'canaried']);
    expect(promote.code, promote.stdout + promote.stderr).toBe(0);
  });
});
