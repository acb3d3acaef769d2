/**
 * Artifacts fetched into a task's directory on real hosts: the local node and an OpenSSH host on
 * loopback as the `deploy` user, downloaded by the host's curl or, for a host without a
 * downloader, by drover and uploaded; checksums verified either way.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../src/generated/jobspec.js';
import type { Transport } from '../../providers/types.js';
import { fetchArtifacts } from '../../src/deploy/artifacts.js';
import {
  startArtifactServer,
  BUNDLE_TREE,
  NOTES,
  type ArtifactServer,
} from '../support/artifact-server.js';
import { localTransportFixture } from '../support/local-transport.js';
import { openSshTransport, type SshTransportFixture } from '../support/ssh-transport.js';
import { taskContext } from '../providers/process-harness.js';

let server: ArtifactServer;
const local = localTransportFixture('drover-artifacts-');
let ssh: SshTransportFixture | undefined;
let sshRoot = '';
let n = 0;

beforeAll(async () => {
  server = await startArtifactServer();
  // Under /tmp, which the deploy user can write and this test can read.
  sshRoot = await mkdtemp(join(tmpdir(), 'drover-artifacts-ssh-'));
  await import('node:fs/promises').then((fs) => fs.chmod(sshRoot, 0o777));
  ssh = await openSshTransport({ address: '127.0.0.131', alloc_root: sshRoot });
});

afterAll(async () => {
  await ssh?.close();
  await server?.close();
  rmSync(sshRoot, { recursive: true, force: true });
});

function ctx(transport: Transport, root: string, artifact: NonNullable<Task['artifact']>) {
  return taskContext('raw_exec', { config: {}, task: { artifact } }, transport, root, ++n);
}

const read = (path: string) => readFileSync(path, 'utf8');

/** The same artifacts, fetched on each host and each way. */
const hosts = [
  {
    name: 'local, host curl',
    host: () => local.transport(),
    root: () => join(local.dir(), 'alloc'),
    tools: undefined,
    agent: /^curl\//,
  },
  {
    name: 'local, host wget',
    host: () => local.transport(),
    root: () => join(local.dir(), 'alloc'),
    tools: new Set(['wget', 'sha256sum']),
    agent: /^Wget\//,
  },
  {
    name: 'local, drover fetch',
    host: () => local.transport(),
    root: () => join(local.dir(), 'alloc'),
    tools: new Set<string>(),
    agent: /^node$/,
  },
  {
    name: 'ssh deploy, host curl',
    host: () => ssh!.transport,
    root: () => sshRoot,
    tools: undefined,
    agent: /^curl\//,
  },
  {
    name: 'ssh deploy, upload',
    host: () => ssh!.transport,
    root: () => sshRoot,
    tools: new Set<string>(),
    agent: /^node$/,
  },
];

describe.each(hosts)('fetchArtifacts ($name)', ({ host, root, tools, agent }) => {
  it('unpacks a tar.gz and a zip, and puts a plain file in local/ by its name', async () => {
    const before = server.requests.length;
    const c = ctx(host(), root(), [
      {
        source: `${server.base}/bundle.tar.gz`,
        options: { checksum: `sha256:${server.sha256('/bundle.tar.gz')}` },
      },
      { source: `${server.base}/bundle.zip`, destination: 'local/site' },
      {
        source: `${server.base}/notes.txt`,
        destination: 'local/docs',
        headers: { 'X-Token': 'secret t' },
      },
      { source: `${server.base}/bundle.tar.gz`, mode: 'file', destination: 'local/raw.tgz' },
    ]);
    await fetchArtifacts(c, tools ? { tools } : {});
    const localDir = join(c.allocDir, 'web', 'local');
    for (const [path, text] of Object.entries(BUNDLE_TREE)) {
      expect(read(join(localDir, path))).toBe(text);
      expect(read(join(localDir, 'site', path))).toBe(text);
    }
    expect(read(join(localDir, 'docs', 'notes.txt'))).toBe(NOTES);
    expect(readFileSync(join(localDir, 'raw.tgz'))).toEqual(server.files.get('/bundle.tar.gz'));
    expect(server.lastHeaders.get('/notes.txt')?.['x-token']).toBe('secret t');
    // Nothing staged is left behind.
    expect(readdirSync(join(c.allocDir, 'web')).sort()).toEqual(['local']);
    const asked = server.requests.slice(before);
    expect(asked).toHaveLength(4);
    for (const r of asked) expect(r.split(' ')[1]).toMatch(agent);
  });

  it('fails on a checksum mismatch, naming both sums, and leaves nothing in place', async () => {
    const wrong = '0'.repeat(64);
    const c = ctx(host(), root(), [
      { source: `${server.base}/bundle.tar.gz`, options: { checksum: `sha256:${wrong}` } },
    ]);
    await expect(fetchArtifacts(c, tools ? { tools } : {})).rejects.toThrow(
      `artifact "${server.base}/bundle.tar.gz": checksum mismatch: expected sha256:${wrong}, got sha256:${server.sha256('/bundle.tar.gz')}`,
    );
    expect(existsSync(join(c.allocDir, 'web', 'local', 'conf'))).toBe(false);
  });

  it('fails on a download that fails', async () => {
    const c = ctx(host(), root(), [{ source: `${server.base}/missing.tgz` }]);
    await expect(fetchArtifacts(c, tools ? { tools } : {})).rejects.toThrow(
      new RegExp(`^artifact "${server.base}/missing.tgz": .*(404|download failed)`),
    );
  });
});

describe('fetchArtifacts modes', () => {
  it('refuses mode = "dir" for a plain file, at once', async () => {
    const c = ctx(local.transport(), join(local.dir(), 'alloc'), [
      { source: `${server.base}/notes.txt`, mode: 'dir' },
    ]);
    await expect(fetchArtifacts(c)).rejects.toThrow(
      `artifact "${server.base}/notes.txt": mode = "dir" needs an archive or a directory; this source is a plain file`,
    );
  });

  it('keeps an archive as it is with archive = false', async () => {
    const c = ctx(local.transport(), join(local.dir(), 'alloc'), [
      { source: `${server.base}/bundle.zip`, options: { archive: 'false' } },
    ]);
    await fetchArtifacts(c);
    expect(readFileSync(join(c.allocDir, 'web', 'local', 'bundle.zip'))).toEqual(
      server.files.get('/bundle.zip'),
    );
  });
});

describe('fetchArtifacts from files on the host', () => {
  it('copies a file, a directory and unpacks an archive given by path or file://', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const src = join(local.dir(), 'src');
    mkdirSync(join(src, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(src, 'tree', 'sub', 'x.txt'), 'x\n');
    writeFileSync(join(src, 'bundle.tar.gz'), server.files.get('/bundle.tar.gz')!);
    writeFileSync(join(src, 'one.txt'), 'one\n');
    const c = ctx(local.transport(), join(local.dir(), 'alloc'), [
      { source: `file://${src}/bundle.tar.gz`, destination: 'local/b' },
      { source: join(src, 'tree'), destination: 'local/t' },
      { source: join(src, 'one.txt'), mode: 'file', destination: '../alloc/data/one.txt' },
    ]);
    await fetchArtifacts(c);
    expect(read(join(c.allocDir, 'web', 'local', 'b', 'conf', 'app.conf'))).toBe(
      BUNDLE_TREE['conf/app.conf'],
    );
    expect(read(join(c.allocDir, 'web', 'local', 't', 'sub', 'x.txt'))).toBe('x\n');
    expect(read(join(c.allocDir, 'alloc', 'data', 'one.txt'))).toBe('one\n');
  });

  it('says so when the file is not there', async () => {
    const c = ctx(local.transport(), join(local.dir(), 'alloc'), [
      { source: '/nonexistent/drover/a.tgz' },
    ]);
    await expect(fetchArtifacts(c)).rejects.toThrow(
      'artifact "/nonexistent/drover/a.tgz": no such file or directory on the host: /nonexistent/drover/a.tgz',
    );
  });
});
