/**
 * The quick-start job (examples/hello: raw_exec, Node.js serving a page) on the local node, and
 * drift: a process killed by hand shows in the next plan, which replaces it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { processesWithEnv } from '../providers/process-harness.js';
import { drover } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-hello-'));
const hello = fileURLToPath(new URL('../../examples/hello/hello.nomad.hcl', import.meta.url));
writeFileSync(
  join(dir, 'drover.hcl'),
  `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n`,
);

interface Alloc {
  id: string;
  index: number;
  desired_status: string;
  client_status: string;
  ports: { value: number; host_ip: string }[];
}

async function running(): Promise<Alloc[]> {
  const r = await drover(dir, ['status', 'hello', '-json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { allocations: Alloc[] }).allocations.filter(
    (a) => a.desired_status === 'run' && a.client_status === 'running',
  );
}

async function page(a: Alloc): Promise<string> {
  const p = a.ports[0]!;
  return (await (await fetch(`http://${p.host_ip}:${p.value}/`)).text()).trim();
}

afterAll(async () => {
  const purge = await drover(dir, ['stop', '-auto-approve', '-purge', 'hello']);
  // No process of any allocation of this test is left, the replaced one's child included.
  const leaked = processesWithEnv((env) =>
    env.some((v) => v.startsWith(`NOMAD_ALLOC_DIR=${join(dir, 'alloc')}/`)),
  );
  const dirs = existsSync(join(dir, 'alloc')) ? readdirSync(join(dir, 'alloc')) : [];
  rmSync(dir, { recursive: true, force: true });
  expect(purge.code, purge.stdout + purge.stderr).toBe(0);
  expect(leaked).toEqual([]);
  expect(dirs).toEqual([]);
});

describe('the quick-start job on the embedded local node', () => {
  it('applies, and every allocation serves its page when apply returns', async () => {
    const r = await drover(dir, ['apply', '-auto-approve', hello]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const allocs = await running();
    expect(allocs).toHaveLength(2);
    const pages = await Promise.all(allocs.map(page));
    expect(pages.sort()).toEqual(['Hello from drover (alloc 0)', 'Hello from drover (alloc 1)']);
  });

  it('runs a command inside an allocation, with the runtime variables', async () => {
    const r = await drover(dir, [
      'exec',
      'hello',
      '--',
      'sh',
      '-c',
      'printf %s "$NOMAD_JOB_NAME:$NOMAD_ALLOC_INDEX"',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^hello:[01]$/);
  });

  it('shows a process killed by hand as drift, and the next apply replaces it', async () => {
    const [victim] = await running();
    const state = await drover(dir, ['state', 'show', `alloc.${victim!.id}`]);
    const handle = (
      JSON.parse(state.stdout) as {
        driver_handles: Record<string, { pid: number; supervisor_pid: number }>;
      }
    ).driver_handles.server!;
    process.kill(handle.supervisor_pid, 'SIGKILL');
    process.kill(handle.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));

    const plan = await drover(dir, ['plan', '-detailed-exitcode', hello]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    const short = victim!.id.slice(0, 8);
    expect(plan.stdout).toContain(
      `hello.web[${victim!.index}] (${short}) on local: running → lost: task "server" was stopped outside drover`,
    );
    // The dead allocation is replaced: a create, saying why, and nothing running is destroyed.
    expect(plan.stdout).toContain('Job: "hello"\nTask Group: "web" (1 create, 1 ignore)\n');
    expect(plan.stdout).toMatch(
      new RegExp(
        `\\n {2}replace {2}\\w{8} {2}hello\\.web\\[${victim!.index}] {2}on local {2}ports http \\d+, ` +
          `replaces ${short} \\(alloc is lost: task "server" was stopped outside drover\\)\\n`,
      ),
    );
    expect(plan.stdout).toContain(
      'Plan: 1 to create, 0 to update in place, 0 to replace, 0 to destroy.',
    );
    const json = await drover(dir, ['plan', '-json', hello]);
    expect(json.code, json.stderr).toBe(0);
    const [group] = (
      JSON.parse(json.stdout) as {
        jobs: { groups: { counts: Record<string, number>; stops: unknown[] }[] }[];
      }
    ).jobs[0]!.groups;
    expect(group!.counts).toMatchObject({ create: 1, destroy: 0, create_destroy_update: 0 });
    expect(group!.stops).toEqual([
      {
        alloc_id: victim!.id,
        name: `hello.web[${victim!.index}]`,
        node: 'local',
        reason: 'alloc is lost: task "server" was stopped outside drover',
        client_status: 'lost',
      },
    ]);

    const apply = await drover(dir, ['apply', '-auto-approve', hello]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const allocs = await running();
    expect(allocs).toHaveLength(2);
    expect(allocs.map((a) => a.id)).not.toContain(victim!.id);
    // `status` shows the replaced allocation's final state, with no health or ports of its own.
    const status = await drover(dir, ['status', 'hello']);
    expect(status.code, status.stderr).toBe(0);
    const row = status.stdout.split('\n').find((l) => l.startsWith(short));
    expect(row?.split(/\s+/)).toEqual([
      short,
      `hello.web[${victim!.index}]`,
      'local',
      '0',
      'stop',
      'lost',
      '-',
      '-',
    ]);
    expect((await Promise.all(allocs.map(page))).sort()).toEqual([
      'Hello from drover (alloc 0)',
      'Hello from drover (alloc 1)',
    ]);
    const again = await drover(dir, ['plan', '-detailed-exitcode', hello]);
    expect(again.code, again.stdout).toBe(0);
  });

  it('after a scale up, says where every running allocation is reached, not only the new one', async () => {
    const scale = await drover(dir, ['scale', '-auto-approve', 'hello', 'web', '3']);
    expect(scale.code, scale.stdout + scale.stderr).toBe(0);
    const allocs = await running();
    expect(allocs).toHaveLength(3);
    const reachable = scale.stdout.slice(scale.stdout.indexOf('Reachable at:\n'));
    expect(reachable.trimEnd().split('\n')).toEqual([
      'Reachable at:',
      ...[...allocs]
        .sort((a, b) => a.index - b.index)
        .map((a) => `  hello.web[${a.index}]: http 127.0.0.1:${a.ports[0]!.value}`),
    ]);
  });
});
