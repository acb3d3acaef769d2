/**
 * Load (issue 17 item 7): many jobs on many SSH hosts, then a `drover server` under many API
 * clients. Full: 200 jobs with 2,000 allocations on 20 sshd instances on loopback (the `mock`
 * driver: a real process per allocation, about five with its supervisor and log rotators, would
 * be 10,000 processes on this 2-core machine; the hosts are still fingerprinted and reached over
 * SSH), then 200 clients (blocking queries and event streams) for 10 minutes while jobs change.
 * Sample: 10 jobs with 100 allocations on 4 hosts, 20 clients for 10 s. Passes when every apply
 * exits 0, every allocation runs, the plan after is empty, no request fails and the server's RSS
 * in the last minute is within 25 % (+16 MB) of the first minute's.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateSnapshot } from '../../../src/state/types.js';
import { drover, type CliResult } from '../../e2e/cli.js';
import { writeSshConfig } from '../../e2e/ssh-nodes.js';
import { startServerProcess } from '../../server/core/process.js';
import { startSshHost, type SshHost } from '../../support/sshd.js';
import { apiLoad, rssDrift } from '../support/api-load.js';
import { firstLine, output } from '../support/fleet.js';
import { Tally, seconds } from '../support/tally.js';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';

interface Scale {
  hosts: number;
  jobs: number;
  perJob: number;
  clients: number;
  durationMs: number;
  rssWindow: number;
}

const FULL: Scale = {
  hosts: 20,
  jobs: 200,
  perJob: 10,
  clients: 200,
  durationMs: 600_000,
  rssWindow: 60,
};
const SAMPLE: Scale = {
  hosts: 4,
  jobs: 10,
  perJob: 10,
  clients: 20,
  durationMs: 10_000,
  rssWindow: 3,
};

export const part: ReliabilityPart = {
  name: 'load',
  async run(ctx) {
    const s = ctx.scale === 'full' ? FULL : SAMPLE;
    const dir = mkdtempSync(join(tmpdir(), 'drover-rel-load-'));
    const allocRoot = `/home/deploy/rel-load-${process.pid}`;
    const hosts: SshHost[] = [];
    try {
      for (let i = 0; i < s.hosts; i++)
        hosts.push(await startSshHost({ address: `127.0.0.${201 + i}` }));
      writeSshConfig(
        dir,
        hosts,
        hosts.map((_, i) => `n${i + 1}`),
        allocRoot,
      );
      mkdirSync(join(dir, 'jobs'));
      return [await manyJobs(ctx, dir, s), await manyClients(ctx, dir, s)];
    } finally {
      await drover(dir, ['stop', '-auto-approve', '-purge', ...jobNames(s)]).catch(() => undefined);
      for (const h of hosts) await h.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      rmSync(allocRoot, { recursive: true, force: true });
    }
  },
};

function jobNames(s: Scale): string[] {
  return Array.from({ length: s.jobs }, (_, i) => `rel-load-${i + 1}`);
}

function loadJob(name: string, count: number, version: number): string {
  return `job "${name}" {
  meta = {
    version = "${version}"
  }
  group "app" {
    count = ${count}
    update {
      health_check     = "task_states"
      min_healthy_time = "0s"
      max_parallel     = ${count}
    }
    task "app" {
      driver = "mock"
      config {}
      resources {
        cpu    = 5
        memory = 10
      }
    }
  }
}
`;
}

async function manyJobs(ctx: PartContext, dir: string, s: Scale): Promise<ReliabilityRow> {
  const test = `${s.jobs} jobs, ${s.jobs * s.perJob} allocations on ${s.hosts} SSH hosts (mock driver)`;
  const tally = new Tally();
  const problems: string[] = [];
  for (const name of jobNames(s))
    writeFileSync(join(dir, 'jobs', `${name}.nomad.hcl`), loadJob(name, s.perJob, 1));
  const timed = async (args: string[]): Promise<[CliResult, number]> => {
    const t0 = Date.now();
    const r = await drover(dir, args);
    return [r, Date.now() - t0];
  };
  const [apply, applyMs] = await timed(['apply', '-auto-approve', 'jobs']);
  if (apply.code !== 0) problems.push(`apply exited ${apply.code}: ${firstLine(output(apply))}`);
  const [plan, planMs] = await timed(['plan', '-detailed-exitcode', 'jobs']);
  if (plan.code !== 0) problems.push(`plan after exited ${plan.code}: ${firstLine(output(plan))}`);
  const show = await drover(dir, ['state', 'show', '-json']);
  let running = 0;
  if (show.code === 0) {
    const state = JSON.parse(show.stdout) as StateSnapshot;
    running = Object.values(state.allocations).filter(
      (a) => a.desired_status === 'run' && a.client_status === 'running',
    ).length;
    const nodes = new Set(Object.values(state.allocations).map((a) => a.node)).size;
    ctx.log(`${running} allocations running on ${nodes} nodes`);
  } else problems.push(`state show exited ${show.code}`);
  if (running !== s.jobs * s.perJob)
    problems.push(`${running} of ${s.jobs * s.perJob} allocations running`);
  tally.add(problems);
  return tally.row(test, `apply ${seconds(applyMs)}, plan after ${seconds(planMs)}`);
}

async function manyClients(ctx: PartContext, dir: string, s: Scale): Promise<ReliabilityRow> {
  const test = `drover server: ${s.clients} API clients (blocking queries, event streams) for ${seconds(s.durationMs)}`;
  const tally = new Tally();
  const server = await startServerProcess(dir, ['-name', 'load']);
  try {
    let version = 1;
    const names = jobNames(s);
    // A change every few seconds (one job scaled between perJob and perJob - 1) wakes the
    // blocking queries and feeds the streams, as a fleet in use would.
    const change = async () => {
      version++;
      const name = names[version % names.length]!;
      const r = await fetch(`${server.url}/v1/job/${name}/scale`, {
        method: 'POST',
        body: JSON.stringify({ Count: s.perJob - (version % 2), Target: { Group: 'app' } }),
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`scale ${name}: ${r.status}`);
    };
    const f = await apiLoad({
      url: server.url,
      pid: server.child.pid!,
      clients: s.clients,
      durationMs: s.durationMs,
      change,
      changeEveryMs: 3000,
    });
    const { first, last } = rssDrift(f.rss, s.rssWindow);
    const problems = f.examples.map((e) => `request failed: ${e}`);
    if (f.errors > f.examples.length) problems.push(`${f.errors} requests failed in all`);
    if (last > first * 1.25 + 16) problems.push(`RSS grew from ${first} MB to ${last} MB`);
    if (f.blockingAnswers === 0) problems.push('no blocking query was answered');
    tally.add(problems);
    ctx.log(
      `${f.blockingAnswers} blocking answers, ${f.streamLines} stream lines, RSS ${f.rss.join(' ')}`,
    );
    return tally.row(
      test,
      `${f.blockingAnswers} blocking answers (${f.woken} woken by a change), ${f.streamLines} stream lines, RSS ${first}→${last} MB`,
    );
  } finally {
    await server.stop('SIGTERM');
  }
}
