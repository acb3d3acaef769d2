/**
 * Namespaces are real: the same job id in two namespaces is two jobs, on raw_exec and on the
 * real Docker engine, through the built CLI (`-namespace`, DROVER_NAMESPACE, `*` listings).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestImages, localDocker, removeContainersByLabel } from '../support/docker.js';
import { processesWithEnv } from '../providers/process-harness.js';
import { drover } from './cli.js';

interface StatusJson {
  id: string;
  namespace: string;
  status: string;
  allocations: { id: string; job: string; desired_status: string; client_status: string }[];
}

function running(s: StatusJson): number {
  return s.allocations.filter((a) => a.desired_status === 'run' && a.client_status === 'running')
    .length;
}

function stateJobs(dir: string): string[] {
  const state = JSON.parse(readFileSync(join(dir, '.drover', 'state.json'), 'utf8')) as {
    jobs: Record<string, unknown>;
  };
  return Object.keys(state.jobs).sort();
}

describe('the same job id in two namespaces, raw_exec', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-ns-'));
  const jobs = join(dir, 'jobs');
  const allocRoot = join(dir, 'alloc');
  const id = `ns-web-${process.pid}`;
  const spec = (namespace: string | undefined, seconds: number): string => `job "${id}" {
${namespace ? `  namespace = "${namespace}"\n` : ''}  group "g" {
    task "t" {
      driver       = "raw_exec"
      kill_timeout = "1s"
      config {
        command = "sleep"
        args    = ["${seconds}"]
      }
      resources {
        cpu    = 10
        memory = 16
      }
    }
  }
}
`;

  async function status(namespace: string): Promise<StatusJson> {
    const r = await drover(dir, ['status', '-namespace', namespace, id, '-json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  }

  beforeAll(() => {
    mkdirSync(jobs);
    writeFileSync(
      join(dir, 'drover.hcl'),
      `node "local" {\n  transport  = "local"\n  alloc_root = "${allocRoot}"\n}\n`,
    );
    writeFileSync(join(jobs, 'prod.nomad.hcl'), spec('prod', 300));
    writeFileSync(join(jobs, 'dev.nomad.hcl'), spec('dev', 301));
  });

  afterAll(async () => {
    for (const ns of ['prod', 'dev', 'qa'])
      await drover(dir, ['stop', '-auto-approve', '-purge', '-namespace', ns, id]);
    const leaked = processesWithEnv((env) =>
      env.some((v) => v.startsWith(`NOMAD_ALLOC_DIR=${allocRoot}/`)),
    );
    rmSync(dir, { recursive: true, force: true });
    expect(leaked).toEqual([]);
  });

  it('plans and applies a directory with both: two jobs, two state entries', async () => {
    const plan = await drover(dir, ['plan', '-detailed-exitcode', jobs]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`Job: "prod/${id}"`);
    expect(plan.stdout).toContain(`Job: "dev/${id}"`);
    const apply = await drover(dir, ['apply', '-auto-approve', jobs]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(stateJobs(dir)).toEqual([`dev/${id}`, `prod/${id}`]);
    const [prod, dev] = [await status('prod'), await status('dev')];
    expect([prod.namespace, prod.id, running(prod)]).toEqual(['prod', id, 1]);
    expect([dev.namespace, dev.id, running(dev)]).toEqual(['dev', id, 1]);
    expect(prod.allocations[0]!.id).not.toBe(dev.allocations[0]!.id);
  });

  it('runs each task in its own namespace (NOMAD_NAMESPACE), found by -namespace', async () => {
    for (const ns of ['prod', 'dev']) {
      const r = await drover(dir, [
        'exec',
        '-namespace',
        ns,
        id,
        '--',
        'sh',
        '-c',
        'printf %s "$NOMAD_NAMESPACE"',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(ns);
    }
  });

  it('says where a job is when it is not in the selected namespace', async () => {
    const r = await drover(dir, ['status', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no job "${id}" in namespace "default"; it exists in: dev, prod`);
    const viaEnv = await drover(dir, ['status', id, '-json'], {
      env: { DROVER_NAMESPACE: 'dev' },
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect((JSON.parse(viaEnv.stdout) as StatusJson).namespace).toBe('dev');
  });

  it("lists the selected namespace, or every one with '*' and a Namespace column", async () => {
    const prod = await drover(dir, ['status', '-namespace', 'prod', '-json']);
    expect(prod.code, prod.stderr).toBe(0);
    const rows = (JSON.parse(prod.stdout) as { jobs: { id: string; namespace: string }[] }).jobs;
    expect(rows.map((j) => [j.namespace, j.id])).toEqual([['prod', id]]);
    const none = await drover(dir, ['status']);
    expect(none.stdout).toContain('No jobs in namespace "default".');
    const every = await drover(dir, ['status', '-namespace', '*']);
    expect(every.code, every.stderr).toBe(0);
    const lines = every.stdout.split('\n');
    expect(lines[0]).toMatch(/^Namespace\s+ID\s+Type/);
    expect(
      lines
        .filter((l) => l.includes(id))
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(['dev', 'prod']);
  });

  it('puts a jobspec without a namespace into -namespace', async () => {
    const qa = join(dir, 'qa.nomad.hcl');
    writeFileSync(qa, spec(undefined, 302));
    const r = await drover(dir, ['apply', '-auto-approve', '-namespace', 'qa', qa]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(stateJobs(dir)).toEqual([`dev/${id}`, `prod/${id}`, `qa/${id}`]);
    const s = await status('qa');
    expect(running(s)).toBe(1);
    const stop = await drover(dir, ['stop', '-auto-approve', '-purge', '-namespace', 'qa', id]);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
  });

  it('refuses a default-namespace id that would share a key with a namespaced job', async () => {
    const clash = join(dir, 'clash.nomad.hcl');
    writeFileSync(clash, spec(undefined, 303).replace(`job "${id}"`, `job "prod/${id}"`));
    const r = await drover(dir, ['plan', clash]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`job "prod/${id}" in namespace "default"`);
    expect(r.stderr).toContain(`job "${id}" in namespace "prod"`);
  });

  it('stops one and leaves the other running', async () => {
    const stop = await drover(dir, ['stop', '-auto-approve', '-namespace', 'dev', id]);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(running(await status('dev'))).toBe(0);
    expect((await status('dev')).status).toBe('dead (stopped)');
    expect(running(await status('prod'))).toBe(1);
    expect(stateJobs(dir)).toEqual([`dev/${id}`, `prod/${id}`]);
  });
});

describe('the same job id in two namespaces, Docker', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-ns-docker-'));
  const id = `ns-httpd-${process.pid}`;
  const spec = (namespace: string): string => `job "${id}" {
  namespace = "${namespace}"
  group "web" {
    task "httpd" {
      driver       = "docker"
      kill_timeout = "1s"
      config {
        image   = "drover-test/busybox:v1"
        command = "httpd"
        args    = ["-f", "-p", "8080", "-h", "/www"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;

  async function containers(namespace: string) {
    const list = await localDocker().listContainers({
      all: true,
      filters: { label: [`drover.job=${id}`, `drover.namespace=${namespace}`] },
    });
    return list.map((c) => ({ name: c.Names[0]!.replace(/^\//, ''), state: c.State }));
  }

  beforeAll(async () => {
    await ensureTestImages();
    writeFileSync(join(dir, 'blue.nomad.hcl'), spec('blue'));
    writeFileSync(join(dir, 'green.nomad.hcl'), spec('green'));
  });

  afterAll(async () => {
    await removeContainersByLabel(`drover.job=${id}`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs both, labelled with their namespace and named <namespace>.<job>-…', async () => {
    const apply = await drover(dir, ['apply', '-auto-approve', dir]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(stateJobs(dir)).toEqual([`blue/${id}`, `green/${id}`]);
    for (const ns of ['blue', 'green']) {
      const list = await containers(ns);
      expect(list).toHaveLength(1);
      expect(list[0]!.state).toBe('running');
      expect(list[0]!.name).toMatch(new RegExp(`^${ns}\\.${id}-web-httpd-[0-9a-f]{8}$`));
    }
  });

  it('stops one namespace’s job and leaves the other’s container running', async () => {
    const stop = await drover(dir, ['stop', '-auto-approve', '-namespace', 'blue', id]);
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect((await containers('blue')).filter((c) => c.state === 'running')).toEqual([]);
    expect((await containers('green')).map((c) => c.state)).toEqual(['running']);
  });
});
