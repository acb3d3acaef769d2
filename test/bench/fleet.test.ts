import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWidths, run } from '../../bench/fleet.mjs';
import { comparable, containerRecipe } from '../../bench/fleet/peer.mjs';
import { cpuByArea } from '../../bench/fleet/profile.mjs';
import {
  COMMAND,
  IMAGE,
  TAG,
  fleetJob,
  hostAddress,
  knownHosts,
  writeFleetProject,
  type FleetHost,
} from '../../bench/fleet/project.mjs';
import { placementPhases } from '../../bench/fleet/timeline.mjs';
import type { StampedLine } from '../../bench/rollout/timeline.mjs';
import { loadConfig } from '../../src/config/load.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';
import { loadJobSource } from '../../src/jobspec/load.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drover-bench-fleet-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Two hosts whose user keys exist in `dir` (drover warns about missing identity files). */
function hostsIn(dir: string): FleetHost[] {
  return [0, 1].map((i) => {
    const userKey = join(dir, `user_key_${i}`);
    writeFileSync(userKey, 'not read here');
    return {
      address: hostAddress(i),
      port: 2200 + i,
      user: 'deploy',
      userKey,
      hostPublicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA${i} drover-bench`,
    };
  });
}

describe('the fleet benchmark project', () => {
  it('is one service job of docker tasks, spread over the nodes, gated on nothing', () => {
    const source = fleetJob({ jobId: 'fleet', count: 50 });
    const diags = new Diagnostics();
    const inputs = { vars: [], varFiles: [], env: {} };
    const loaded = loadJobSource(source, 'fleet.nomad.hcl', { inputs }, diags);
    expect(diags.items.filter((d) => d.severity === 'error')).toEqual([]);
    const job = loaded!.job;
    expect(job.update).toMatchObject({
      max_parallel: 50,
      min_healthy_time: 0,
      health_check: 'task_states',
    });
    const group = job.group[0]!;
    expect(group.count).toBe(50);
    expect(group.spread).toEqual([
      expect.objectContaining({ attribute: '${node.unique.name}', weight: 100 }),
    ]);
    expect(group.task[0]!.config).toEqual({
      image: `${IMAGE}:${TAG}`,
      command: COMMAND[0],
      args: COMMAND.slice(1),
      init: true,
    });
  });

  it('declares one ssh node per host, pre-trusts their keys, keeps state inside', () => {
    const hosts = hostsIn(dir);
    const project = writeFleetProject(dir, { jobId: 'fleet', count: 4, hosts });
    const diags = new Diagnostics();
    const config = loadConfig(project.config, diags);
    expect(diags.items).toEqual([]);
    expect(config!.state.path).toBe(join(project.stateDir, 'state.json'));
    expect(
      config!.nodes.map((n) => [n.name, n.transport, n.address, n.port, n.user, n.alloc_root]),
    ).toEqual([
      ['host-1', 'ssh', '127.0.0.21', 2200, 'deploy', project.alloc],
      ['host-2', 'ssh', '127.0.0.22', 2201, 'deploy', project.alloc],
    ]);
    expect(readFileSync(join(project.home, '.ssh', 'known_hosts'), 'utf8')).toBe(knownHosts(hosts));
    expect(knownHosts(hosts).split('\n')[0]).toBe(
      '[127.0.0.21]:2200 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA0 drover-bench',
    );
  });
});

describe('the Docker API peer', () => {
  const info = {
    Name: '/fleet-web-httpd-1a2b3c4d',
    Created: '2026-01-01T00:00:00Z',
    Config: {
      Image: `${IMAGE}:${TAG}`,
      Cmd: [...COMMAND],
      Entrypoint: null,
      Env: ['NOMAD_ALLOC_INDEX=0'],
      Labels: { 'drover.job': 'fleet', 'drover.alloc': '1a2b3c4d' },
      StopTimeout: 1,
      Hostname: 'abcdef',
    },
    HostConfig: {
      Binds: ['/a/alloc:/alloc'],
      PortBindings: {},
      NetworkMode: 'default',
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
      Memory: 16 * 1024 * 1024,
      MemoryReservation: 0,
      MemorySwap: 16 * 1024 * 1024,
      CpuShares: 10,
      Init: true,
      LogConfig: { Type: 'json-file' },
    },
  } as unknown as Docker.ContainerInspectInfo;

  it('asks for what drover asked for, and nothing the engine filled in', () => {
    expect(containerRecipe(info)).toEqual({
      name: 'fleet-web-httpd-1a2b3c4d',
      Image: `${IMAGE}:${TAG}`,
      Cmd: [...COMMAND],
      Env: ['NOMAD_ALLOC_INDEX=0'],
      Labels: { 'drover.job': 'fleet', 'drover.alloc': '1a2b3c4d' },
      StopTimeout: 1,
      HostConfig: {
        Binds: ['/a/alloc:/alloc'],
        NetworkMode: 'default',
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
        Memory: 16 * 1024 * 1024,
        MemorySwap: 16 * 1024 * 1024,
        CpuShares: 10,
        Init: true,
      },
    });
    expect(comparable(info)).not.toHaveProperty('name');
  });

  it.each([
    ['1,5,10,all', 50, [1, 5, 10, 50]],
    ['1,5,all', 4, [1, 4]],
    ['all', 3, [3]],
  ])('--peer-parallelism=%s with %d containers → %j', (list, count, expected) => {
    expect(parseWidths(list, count)).toEqual(expected);
  });

  it('refuses a parallelism that is not a positive number', () => {
    expect(() => parseWidths('0,5', 10)).toThrow(/--peer-parallelism/);
    expect(() => parseWidths('many', 10)).toThrow(/--peer-parallelism/);
  });
});

describe('placementPhases', () => {
  const at = (ms: number, alloc: string, status: string): StampedLine => ({
    ms,
    text: `  fleet.web[0] (${alloc}) on host-1: ${status}`,
  });

  it('cuts an initial placement into its phases', () => {
    const lines: StampedLine[] = [
      { ms: 900, text: '+ Job: "fleet"' },
      at(1000, 'aaaaaaa1', 'starting'),
      at(1010, 'aaaaaaa2', 'starting'),
      at(1400, 'aaaaaaa1', 'running'),
      at(1810, 'aaaaaaa2', 'running'),
      at(1900, 'aaaaaaa1', 'healthy'),
      at(2000, 'aaaaaaa2', 'healthy'),
      { ms: 2010, text: 'Apply complete.' },
    ];
    expect(placementPhases(lines, 2100)).toEqual({
      allocations: 2,
      plan: 900,
      record: 100,
      start: 810,
      gate: 190,
      finish: 100,
      perAllocStart: 600,
      perAllocGate: 345,
    });
  });

  it('finds no placement in output without allocation events', () => {
    expect(placementPhases([{ ms: 1, text: 'No changes.' }], 10)).toBeUndefined();
  });
});

describe('cpuByArea', () => {
  it('gives each sample to the innermost frame of a known area', () => {
    const root = '/pkg';
    const frame = (functionName: string, url = '') => ({ functionName, url });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('write', 'file:///pkg/dist/src/state/local.js'), children: [4] },
        { id: 4, callFrame: frame('stringify') },
        {
          id: 5,
          callFrame: frame('start', 'file:///pkg/dist/providers/drivers/docker.js'),
          children: [6],
        },
        { id: 6, callFrame: frame('send', 'file:///pkg/node_modules/ssh2/lib/protocol.js') },
      ],
      samples: [2, 4, 6, 4],
      timeDeltas: [1000, 2000, 3000, 4000],
    };
    const file = join(dir, 'apply.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    expect(cpuByArea(file, root)).toEqual({
      totalMs: 10,
      idleMs: 1,
      gcMs: 0,
      areas: [
        { area: 'state store', ms: 6, firstMs: 3, lastMs: 10 },
        { area: 'ssh2 (cipher, framing)', ms: 3, firstMs: 6, lastMs: 6 },
      ],
    });
  });
});

describe('the benchmark, at a tiny size', () => {
  it(
    'runs drover and the peer on real SSH hosts and one engine, and removes all it made',
    { timeout: 300_000 },
    async () => {
      const ours = (prefix: string) =>
        new Set(readdirSync(tmpdir()).filter((f) => f.startsWith(prefix)));
      const before = [ours('drover-bench-fleet-'), ours('drover-bench-sshd-')];
      const logs: string[] = [];
      const result = await run(
        { hosts: '2', containers: '4', runs: '1', 'peer-parallelism': '1,all' },
        (m) => logs.push(m),
      );

      expect(result.name).toBe('fleet');
      expect(result.rows.map((r) => [r.parallelism, r.containers])).toEqual([
        ['all', 4],
        ['1', 4],
        ['4', 4],
      ]);
      for (const r of result.rows) expect(r.wallMs).toBeGreaterThan(0);
      expect(result.rows.filter((r) => r.tool.endsWith('← peer'))).toHaveLength(1);
      expect(result.goals).toHaveLength(1);
      expect(result.goals[0]!.met).toBe(result.data.ratio <= 1.15);
      expect(result.data.placement).toEqual({ 'host-1': 2, 'host-2': 2 });
      expect(result.data.state!.serial).toBeGreaterThan(4);
      expect(result.data.phasesMs!.start).toBeGreaterThan(0);

      // Nothing left: containers, sshd processes, temp dirs.
      const left = await new Docker().listContainers({
        all: true,
        filters: { label: [`drover.job=${result.data.jobId}`] },
      });
      expect(left).toEqual([]);
      const pids = logs.flatMap((l) => /\(pid (\d+)\)/.exec(l)?.[1] ?? []);
      expect(pids).toHaveLength(2);
      for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
      const after = [ours('drover-bench-fleet-'), ours('drover-bench-sshd-')];
      after.forEach((names, i) => {
        for (const n of names)
          if (!n.startsWith('drover-bench-fleet-test-')) expect(before[i]!.has(n), n).toBe(true);
      });
    },
  );
});
