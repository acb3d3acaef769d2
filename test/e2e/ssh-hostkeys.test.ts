/**
 * Host keys through the built CLI, on two real OpenSSH hosts on loopback (issue 5): the first
 * command that connects pins each host's key in state; a host restarted with a new key is
 * refused by every command that connects, naming the node and `drover node trust`; after
 * `node trust` the next command pins the new key.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshHost, type SshHost } from '../support/sshd.js';
import { drover, type CliResult } from './cli.js';
import { writeSshConfig } from './ssh-nodes.js';

const ADDRESSES = ['127.0.0.51', '127.0.0.52'] as const;
const NODES = ['k1', 'k2'] as const;

const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-hostkeys-'));
const JOB = join(dir, 'idle.nomad.hcl');
// Planned only, never applied: plan connects to every node to fingerprint it.
writeFileSync(
  JOB,
  `job "idle" {
  datacenters = ["*"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
    }
  }
}
`,
);
let hosts: SshHost[] = [];

function writeConfig(): void {
  writeSshConfig(dir, hosts, NODES, join(dir, 'alloc'));
}

/** `SHA256:…` of an authorized_keys-style line, as `ssh-keygen -l` prints it. */
function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.split(' ')[1]!, 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

interface StoredNode {
  host_key?: { algorithm: string; key: string; fingerprint: string; pinned_at: string };
}

/** The node's record as the state file holds it. */
function storedNode(name: string): StoredNode | undefined {
  const state = JSON.parse(readFileSync(join(dir, '.drover', 'state.json'), 'utf8')) as {
    nodes: Record<string, StoredNode>;
  };
  return state.nodes[name];
}

async function ok(args: string[]): Promise<CliResult> {
  const r = await drover(dir, args);
  expect(r.code, `drover ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  hosts = await Promise.all(ADDRESSES.map((address) => startSshHost({ address })));
  writeConfig();
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('SSH host keys through the CLI', () => {
  let oldKey: string;
  let newKey: string;

  it('the first node status pins every host key in state', async () => {
    await ok(['node', 'status']);
    for (const [i, name] of NODES.entries()) {
      const [algorithm, key] = hosts[i]!.hostPublicKey.split(' ');
      const shown = JSON.parse((await ok(['state', 'show', `node.${name}`])).stdout) as StoredNode;
      expect(shown.host_key).toMatchObject({
        algorithm,
        key,
        fingerprint: fingerprintOf(hosts[i]!.hostPublicKey),
      });
    }
  });

  it('sets up: the sshd of k1 restarts on the same address and port with a new host key', async () => {
    const old = hosts[0]!;
    oldKey = old.hostPublicKey;
    await old.stop();
    hosts[0] = await startSshHost({ address: old.address, port: old.port });
    newKey = hosts[0].hostPublicKey;
    expect(newKey).not.toBe(oldKey);
    // The new server has a new user key too: only the identity changes in drover.hcl.
    writeConfig();
  });

  it('plan, status, node status, apply and -json refuse it, naming the node and node trust', async () => {
    const expected =
      `error: host key of node k1 (${hosts[0]!.address}:${hosts[0]!.port}) changed: ` +
      `expected ${fingerprintOf(oldKey)}, got ${fingerprintOf(newKey)}; ` +
      'if this is expected, run `drover node trust k1`';
    const commands = [
      ['plan', JOB],
      ['status'],
      ['node', 'status'],
      ['node', 'status', 'k2'],
      ['apply', '-auto-approve', JOB],
    ];
    const results = await Promise.all(commands.map((args) => drover(dir, args)));
    for (const [i, r] of results.entries()) {
      const what = `drover ${commands[i]!.join(' ')}\n${r.stdout}${r.stderr}`;
      expect(r.code, what).toBe(1);
      expect(r.stderr.trim(), what).toBe(expected);
    }
    const json = await drover(dir, ['status', '-json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: expected.slice('error: '.length) });
    // Nothing was applied, and the pin stands.
    expect(storedNode('k1')?.host_key?.key).toBe(oldKey.split(' ')[1]);
    expect(Object.keys(storedNodeJobs())).toEqual([]);
  });

  it('node trust forgets the pin; the next command pins the new key', async () => {
    const trust = await ok(['node', 'trust', 'k1']);
    expect(trust.stdout).toContain('Forgot the host key of node "k1"');
    expect(storedNode('k1')?.host_key).toBeUndefined();

    await ok(['status']);
    expect(storedNode('k1')?.host_key).toMatchObject({
      key: newKey.split(' ')[1],
      fingerprint: fingerprintOf(newKey),
    });
    // k2's pin was never touched.
    expect(storedNode('k2')?.host_key?.key).toBe(hosts[1]!.hostPublicKey.split(' ')[1]);
    await ok(['plan', JOB]);
  });
});

function storedNodeJobs(): Record<string, unknown> {
  const state = JSON.parse(readFileSync(join(dir, '.drover', 'state.json'), 'utf8')) as {
    jobs: Record<string, unknown>;
  };
  return state.jobs;
}
