/**
 * `drover job dispatch` onto a real OpenSSH host on loopback as the non-root `deploy` user: the
 * payload is uploaded into the task's local/ directory over SSH and the meta reaches the task's
 * environment; purging the child leaves the parameterized job.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { writeSshConfig } from './ssh-nodes.js';

const MARKER = `drover-e2e-dispatch-${process.pid}-${randomBytes(4).toString('hex')}`;
const ALLOC_PARENT = `/home/deploy/${MARKER}`;
const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-ssh-dispatch-'));
const JOB = 'convert';
let host: SshHost | undefined;

writeFileSync(
  join(dir, 'convert.nomad.hcl'),
  `job "${JOB}" {
  type        = "batch"
  datacenters = ["*"]

  parameterized {
    meta_required = ["format"]
  }

  group "g" {
    task "t" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo format=$NOMAD_META_format user=$(id -un); cat $NOMAD_TASK_DIR/in/payload.txt"]
      }

      dispatch_payload {
        file = "in/payload.txt"
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
writeFileSync(join(dir, 'payload.txt'), 'over ssh\n');

async function ok(args: string[]): Promise<CliResult> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  host = await startSshHost({ address: '127.0.0.61' });
  writeSshConfig(dir, [host], ['s1'], `${ALLOC_PARENT}/alloc`);
});

afterAll(async () => {
  const s = await drover(dir, ['status', '-json']);
  const jobs = s.code === 0 ? (JSON.parse(s.stdout) as { jobs: { id: string }[] }).jobs : [];
  for (const { id } of jobs) await drover(dir, ['stop', '-auto-approve', '-purge', id]);
  await host?.stop();
  rmSync(ALLOC_PARENT, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('job dispatch over SSH', () => {
  it('uploads the payload into local/ and passes the meta, as the deploy user', async () => {
    await ok(['apply', '-auto-approve', join(dir, 'convert.nomad.hcl')]);
    const r = await ok([
      'job',
      'dispatch',
      '-auto-approve',
      '-meta',
      'format=webp',
      JOB,
      join(dir, 'payload.txt'),
    ]);
    const child = /^Dispatched Job ID = (\S+)/m.exec(r.stdout)![1]!;
    const s = JSON.parse((await ok(['status', child, '-json'])).stdout) as {
      parent: string;
      allocations: { id: string; client_status: string; node: string }[];
    };
    expect(s.parent).toBe(JOB);
    expect(s.allocations.map((a) => [a.node, a.client_status])).toEqual([['s1', 'complete']]);
    const logs = await ok(['logs', s.allocations[0]!.id]);
    expect(logs.stdout).toBe('format=webp user=deploy\nover ssh\n');
  });

  it('purges the child and keeps the parameterized job', async () => {
    const parent = JSON.parse((await ok(['status', JOB, '-json'])).stdout) as {
      children: { id: string }[];
    };
    expect(parent.children).toHaveLength(1);
    await ok(['stop', '-auto-approve', '-purge', parent.children[0]!.id]);
    const after = JSON.parse((await ok(['status', JOB, '-json'])).stdout) as {
      children: unknown[];
      status: string;
    };
    expect(after).toMatchObject({ children: [], status: 'running' });
  });
});
