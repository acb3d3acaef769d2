/**
 * The plan is the contract, through the real CLI on the local node (raw_exec): `plan -json` then
 * `apply -json` of the same files with nothing changed in between places the allocation ids and
 * ports the plan showed, and the apply stream runs the plan's rollout steps in order; a stop
 * saved with `-out` is applied exactly; `node drain` with no terminal changes nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/deploy/apply.js';
import type { Plan } from '../../src/generated/plan.js';
import { executionProblems } from '../plan/executed-steps.js';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-contract-'));
const jobs = join(dir, 'jobs');
mkdirSync(jobs);
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);

/** A web server per allocation on a dynamic port, checked over HTTP; `release` forces a replacement. */
function writeJob(release: string): void {
  writeFileSync(
    join(jobs, 'echo.hcl'),
    `job "echo" {
  update {
    max_parallel     = 1
    min_healthy_time = "1s"
  }

  group "web" {
    count = 2

    network {
      port "http" {}
    }

    service {
      name     = "echo"
      port     = "http"
      provider = "nomad"

      check {
        type     = "http"
        path     = "/"
        interval = "1s"
        timeout  = "1s"
      }
    }

    task "server" {
      driver = "raw_exec"

      config {
        command = "${process.execPath}"
        args    = ["-e", "require('http').createServer((q, s) => s.end(process.env.RELEASE)).listen(process.env.NOMAD_PORT_http, '127.0.0.1')"]
      }

      env {
        RELEASE = "${release}"
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`,
  );
}

interface StreamLine {
  type: 'plan' | 'progress' | 'result';
  plan?: Plan;
  exit_code?: number;
}

/** `apply -json`'s stream: the plan it ran, its progress events, its result. */
function parseStream(stdout: string): { plan: Plan; events: ProgressEvent[]; exitCode: number } {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StreamLine);
  expect(lines[0]!.type).toBe('plan');
  expect(lines.at(-1)!.type).toBe('result');
  return {
    plan: lines[0]!.plan!,
    events: lines
      .filter((l) => l.type === 'progress')
      .map(({ type: _t, ...ev }) => ev as unknown as ProgressEvent),
    exitCode: lines.at(-1)!.exit_code!,
  };
}

/** What a plan decides, without when it was made (and so its hash). */
function decisions(p: Plan): unknown {
  return { state: p.state, changes: p.changes, retry_stops: p.retry_stops, jobs: p.jobs };
}

interface NodeRow {
  name: string;
  eligibility: string;
  drain: boolean;
}

async function localNode(): Promise<NodeRow> {
  const r = await drover(dir, ['node', 'status', '-json']);
  expect(r.code, r.stderr).toBe(0);
  const parsed = JSON.parse(r.stdout) as NodeRow[] | { nodes: NodeRow[] };
  const rows = Array.isArray(parsed) ? parsed : parsed.nodes;
  return rows.find((n) => n.name === 'local')!;
}

interface Alloc {
  id: string;
  desired_status: string;
  client_status: string;
  ports: { label: string; value: number }[];
}

async function runningAllocs(): Promise<Alloc[]> {
  const r = await drover(dir, ['status', 'echo', '-json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { allocations: Alloc[] }).allocations.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  );
}

/** `plan -json` then `apply -json` of the same files: the apply runs what was shown. */
async function planThenApply(): Promise<{ shown: Plan; applied: Plan; events: ProgressEvent[] }> {
  const planned = await drover(dir, ['plan', '-json', jobs]);
  expect(planned.code, planned.stderr).toBe(0);
  const shown = JSON.parse(planned.stdout) as Plan;
  const r = await drover(dir, ['apply', '-auto-approve', '-json', jobs]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const { plan: applied, events, exitCode } = parseStream(r.stdout);
  expect(exitCode).toBe(0);
  return { shown, applied, events };
}

afterAll(async () => {
  await drover(dir, ['stop', '-auto-approve', '-purge', 'echo']);
  rmSync(dir, { recursive: true, force: true });
});

describe('the plan is what apply runs (raw_exec, local node)', () => {
  it('a new job: the allocation ids and ports shown are the ones started', async () => {
    // A state never written has no lineage yet (each read makes one up): give it one first.
    const eligible = await drover(dir, [
      'node',
      'eligibility',
      'local',
      '-enable',
      '-auto-approve',
    ]);
    expect(eligible.code, eligible.stdout + eligible.stderr).toBe(0);
    writeJob('v1');
    const { shown, applied, events } = await planThenApply();
    const placements = shown.jobs[0]!.groups[0]!.placements;
    expect(placements).toHaveLength(2);
    expect(placements.every((p) => p.ports.length === 1 && p.ports[0]!.value > 0)).toBe(true);
    expect(decisions(applied)).toEqual(decisions(shown));
    expect(executionProblems(applied, events)).toEqual([]);
    const running = await runningAllocs();
    expect(running.map((a) => [a.id, a.ports[0]!.value]).sort()).toEqual(
      placements.map((p) => [p.alloc_id, p.ports[0]!.value]).sort(),
    );
  });

  it('a replacement: the stream names the plan steps in order, each old allocation stopped before its replacement starts', async () => {
    writeJob('v2');
    const { shown, applied, events } = await planThenApply();
    expect(decisions(applied)).toEqual(decisions(shown));
    const steps = shown.jobs[0]!.rollout!.groups[0]!.steps;
    expect(steps.map((s) => s.kind)).toEqual(['window']);
    expect(executionProblems(applied, events)).toEqual([]);
    const rollout = events.flatMap((e) =>
      e.step?.part === 'rollout' && e.kind === 'alloc' ? [[e.step.index, e.status, e.alloc]] : [],
    );
    // stop old, then start new, one at a time (max_parallel 1).
    const [first, second] = steps[0]!.allocs;
    const [oldFirst, oldSecond] = steps[0]!.replaces;
    expect(rollout.filter(([, s]) => s === 'stopped' || s === 'starting')).toEqual([
      [1, 'stopped', oldFirst],
      [1, 'starting', first],
      [1, 'stopped', oldSecond],
      [1, 'starting', second],
    ]);
    expect((await runningAllocs()).map((a) => a.id).sort()).toEqual([first, second].sort());
  });

  it('stop -out saves the plan, and apply of the file stops the job', async () => {
    const out = join(dir, 'stop.plan');
    const saved = await drover(dir, ['stop', '-out', out, 'echo']);
    expect(saved.code, saved.stdout + saved.stderr).toBe(0);
    expect(await runningAllocs()).toHaveLength(2);
    const r = await drover(dir, ['apply', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await runningAllocs()).toHaveLength(0);
    const status = await drover(dir, ['status', 'echo', '-json']);
    expect(status.stdout).toContain('dead');
  });

  it('node drain with no terminal changes nothing; -auto-approve drains, -disable undoes it', async () => {
    expect(await localNode()).toMatchObject({ eligibility: 'eligible', drain: false });

    const asked = await drover(dir, ['node', 'drain', 'local']);
    expect(asked.code, asked.stdout + asked.stderr).toBe(1);
    expect(asked.stderr).toContain('nothing was changed');
    expect(await localNode()).toMatchObject({ eligibility: 'eligible', drain: false });

    const drained = await drover(dir, ['node', 'drain', '-auto-approve', 'local']);
    expect(drained.code, drained.stdout + drained.stderr).toBe(0);
    expect(await localNode()).toMatchObject({ eligibility: 'ineligible', drain: true });

    const undone = await drover(dir, ['node', 'drain', '-disable', '-auto-approve', 'local']);
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
    expect(await localNode()).toMatchObject({ eligibility: 'eligible', drain: false });
  });
});
