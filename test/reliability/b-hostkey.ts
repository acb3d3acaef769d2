/**
 * A changed SSH host key, refused by every command that connects: a job is applied on a
 * loopback sshd (which pins its key in state), the sshd comes back on the same address and
 * port with a new key, and each command must fail naming the node, without touching it.
 */
import { rmSync } from 'node:fs';
import { startSshHost, type SshHost } from '../support/sshd.js';
import type { PartContext, ReliabilityRow } from './types.js';
import { hasStackTrace, project } from './b-project.js';

const JOB = 'hostkey';

function jobspec(version: string): string {
  return `job "${JOB}" {
  update {
    min_healthy_time = "0s"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["600"]
      }
      env {
        VERSION = "${version}"
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`;
}

function nodeConfig(h: SshHost, remoteRoot: string): string {
  return `node "k1" {\n  transport  = "ssh"\n  address    = "${h.address}"\n  port       = ${h.port}\n  user       = "${h.user}"\n  identity   = "${h.privateKeyPath}"\n  alloc_root = "${remoteRoot}/alloc"\n}\n`;
}

export async function hostKeyRow(ctx: PartContext): Promise<ReliabilityRow> {
  const remoteRoot = `/home/deploy/drover-rel-hostkey-${process.pid}`;
  let host = await startSshHost({ address: '127.0.0.72' });
  const p = project('hostkey', () => nodeConfig(host, remoteRoot), [`${remoteRoot}/alloc`]);
  const lost: string[] = [];
  let tries = 0;
  let passed = 0;
  try {
    const file = p.write('job.nomad.hcl', jobspec('1'));
    const first = await p.cli(['apply', '-auto-approve', file]);
    if (first.code !== 0) throw new Error(`first apply: ${first.stdout}${first.stderr}`);
    // The same address and port, a new host key (and a new user key: only identity changes).
    const { address, port } = host;
    await host.stop();
    host = await startSshHost({ address, port });
    p.write('drover.hcl', nodeConfig(host, remoteRoot));
    p.write('job.nomad.hcl', jobspec('2'));
    const stateBefore = p.stateText();
    const commands = [
      ['plan', file],
      ['apply', '-auto-approve', file],
      ['status'],
      ['status', JOB],
      ['drift'],
      ['logs', JOB],
      ['exec', JOB, '--', 'true'],
      ['node', 'status'],
      ['node', 'status', 'k1'],
      ['stop', '-auto-approve', JOB],
      ['scale', '-auto-approve', JOB, 'g', '2'],
    ];
    for (const args of commands) {
      tries++;
      const r = await p.cli(args);
      const out = r.stdout + r.stderr;
      if (r.code !== 0 && /host key of node k1 .*changed/.test(r.stderr) && !hasStackTrace(out))
        passed++;
      else
        lost.push(
          `drover ${args.join(' ')}: exit ${r.code} ${out.trim().split('\n').at(-1) ?? ''}`.slice(
            0,
            160,
          ),
        );
    }
    if (p.stateText() !== stateBefore) lost.unshift('the state changed');
    ctx.log(`host key: ${passed}/${tries}`);
    // Trusted again, the job can be stopped on the host for the cleanup.
    await p.cli(['node', 'trust', 'k1']);
  } finally {
    lost.push(...(await p.close([JOB])));
    await host.stop();
    rmSync(remoteRoot, { recursive: true, force: true });
  }
  return {
    test: `access: SSH host key changed, every command that connects (${tries})`,
    tries,
    passed: lost[0] === 'the state changed' ? 0 : passed,
    lost:
      lost.length === 0
        ? 'nothing (each refused naming the node)'
        : lost.slice(0, 3).join('; ').slice(0, 400),
  };
}
