/**
 * Artifacts through the real CLI, as a new user meets them: served by an HTTP server on
 * 127.0.0.1, they land unpacked in the task's local/ directory on the local node (raw_exec), on
 * an OpenSSH host as the `deploy` user, and at /local in a Docker container; a wrong checksum
 * fails the allocation at once, not after the restarts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startArtifactServer,
  BUNDLE_TREE,
  NOTES,
  type ArtifactServer,
} from '../support/artifact-server.js';
import { ensureTestImages } from '../support/docker.js';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { writeLocalAndSshConfig } from './ssh-nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-artifacts-'));
const sshRoot = mkdtempSync(join(tmpdir(), 'drover-e2e-artifacts-ssh-'));
const suffix = `${process.pid}`;
let server: ArtifactServer;
let host: SshHost | undefined;

/** A batch job printing what its artifacts brought; `where` is how the task reads its dir. */
function batchJob(
  id: string,
  o: { driver: string; node: string; checksum: string; where: string; group?: string },
): string {
  const config =
    o.driver === 'docker'
      ? `image = "drover-test/busybox:v1"\n        command = "sh"`
      : `command = "/bin/sh"`;
  return `job "${id}" {
  type = "batch"
  constraint {
    attribute = "\${node.unique.name}"
    value     = "${o.node}"
  }
  group "g" {
    ${o.group ?? ''}
    restart {
      attempts = 2
      delay    = "15s"
      mode     = "fail"
    }
    task "t" {
      driver = "${o.driver}"
      config {
        ${config}
        args = ["-c", "cat ${o.where}/conf/app.conf ${o.where}/docs/notes.txt; id -un"]
      }
      artifact {
        source = "${server.base}/bundle.tar.gz"
        options {
          checksum = "sha256:${o.checksum}"
        }
      }
      artifact {
        source      = "${server.base}/notes.txt"
        # Interpolated on the host, as Nomad does: /local in a container.
        destination = "\${NOMAD_TASK_DIR}/docs"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`;
}

async function cli(args: string[]): Promise<CliResult> {
  return drover(dir, args);
}

async function ok(args: string[]): Promise<CliResult> {
  const r = await cli(args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

function writeJob(name: string, text: string): string {
  const path = join(dir, `${name}.nomad.hcl`);
  writeFileSync(path, text);
  return path;
}

interface Status {
  allocations: { id: string; client_status: string; node: string }[];
}

/** The one allocation's status and its task's output. */
async function outcome(id: string): Promise<{ status: string; logs: string }> {
  const s = JSON.parse((await ok(['status', id, '-json'])).stdout) as Status;
  expect(s.allocations).toHaveLength(1);
  const logs = await ok(['logs', s.allocations[0]!.id]);
  return { status: s.allocations[0]!.client_status, logs: logs.stdout };
}

beforeAll(async () => {
  server = await startArtifactServer();
  host = await startSshHost({ address: '127.0.0.132' });
  await import('node:fs/promises').then((fs) => fs.chmod(sshRoot, 0o777));
  writeLocalAndSshConfig(dir, host, sshRoot);
  await ensureTestImages();
});

afterAll(async () => {
  const s = await cli(['status', '-json']);
  const jobs = s.code === 0 ? (JSON.parse(s.stdout) as { jobs: { id: string }[] }).jobs : [];
  for (const { id } of jobs) await cli(['stop', '-auto-approve', '-purge', id]);
  await host?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(sshRoot, { recursive: true, force: true });
});

const expected = `${BUNDLE_TREE['conf/app.conf']}${NOTES}`;

describe('artifacts through apply', () => {
  it('raw_exec on the local node finds the tar.gz unpacked and the file under local/', async () => {
    const id = `art-local-${suffix}`;
    const job = batchJob(id, {
      driver: 'raw_exec',
      node: 'local',
      checksum: server.sha256('/bundle.tar.gz'),
      where: '$NOMAD_TASK_DIR',
    });
    await ok(['apply', '-auto-approve', writeJob(id, job)]);
    const r = await outcome(id);
    expect(r.status).toBe('complete');
    expect(r.logs).toBe(`${expected}root\n`);
  });

  it('raw_exec over SSH as the deploy user', async () => {
    const id = `art-ssh-${suffix}`;
    const job = batchJob(id, {
      driver: 'raw_exec',
      node: 'remote',
      checksum: server.sha256('/bundle.tar.gz'),
      where: '$NOMAD_TASK_DIR',
    });
    await ok(['apply', '-auto-approve', writeJob(id, job)]);
    const r = await outcome(id);
    expect(r.status).toBe('complete');
    expect(r.logs).toBe(`${expected}deploy\n`);
  });

  it('docker sees them at /local', async () => {
    const id = `art-docker-${suffix}`;
    const job = batchJob(id, {
      driver: 'docker',
      node: 'local',
      checksum: server.sha256('/bundle.tar.gz'),
      where: '/local',
    });
    await ok(['apply', '-auto-approve', writeJob(id, job)]);
    const r = await outcome(id);
    expect(r.status).toBe('complete');
    expect(r.logs).toBe(`${expected}root\n`);
  });

  it('a wrong checksum fails the allocation at once, naming both sums (exit 4)', async () => {
    const id = `art-bad-${suffix}`;
    const wrong = 'f'.repeat(64);
    const job = batchJob(id, {
      driver: 'raw_exec',
      node: 'local',
      checksum: wrong,
      where: '$NOMAD_TASK_DIR',
      // Not rescheduled either (a batch job is, once, after 5 s): one failure to time.
      group: 'reschedule {\n      attempts  = 0\n      unlimited = false\n    }',
    });
    const started = Date.now();
    const r = await cli(['apply', '-auto-approve', writeJob(id, job)]);
    const took = Date.now() - started;
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toContain(
      `artifact "${server.base}/bundle.tar.gz": checksum mismatch: expected sha256:${wrong}, got sha256:${server.sha256('/bundle.tar.gz')}`,
    );
    // Restarts would take 2 × 15 s: the failure comes before the task ever starts.
    expect(took).toBeLessThan(5_000);
    const s = JSON.parse((await ok(['status', id, '-json'])).stdout) as Status;
    expect(s.allocations.map((a) => a.client_status)).toEqual(['failed']);
  });

  it('plan refuses a git:: source at its line', async () => {
    const path = writeJob(
      'git',
      `job "art-git-${suffix}" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      artifact {
        source = "git::https://github.com/example/repo"
      }
    }
  }
}
`,
    );
    const r = await cli(['plan', path]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('git.nomad.hcl:9:');
    expect(r.stdout + r.stderr).toContain('git:: getter are not built yet');
  });
});
