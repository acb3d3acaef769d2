/**
 * An HTTP server on 127.0.0.1 serving artifacts made for the test: a tar.gz and a zip of a small
 * tree, and a plain file. It records who asked for what (curl, wget or drover's own fetch).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ArtifactServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The files served, by URL path ("/bundle.tar.gz"). */
  files: ReadonlyMap<string, Buffer>;
  sha256(path: string): string;
  /** `<path> <user-agent>` of every request, in order. */
  requests: string[];
  /** Headers of the last request for a path. */
  lastHeaders: Map<string, Record<string, string | string[] | undefined>>;
  close(): Promise<void>;
}

/** The tree packed in the archives: what a task should find unpacked. */
export const BUNDLE_TREE: Readonly<Record<string, string>> = {
  'conf/app.conf': 'greeting = hello from the bundle\n',
  'bin/run.sh': '#!/bin/sh\necho running\n',
};
export const NOTES = 'plain notes\n';

export async function startArtifactServer(): Promise<ArtifactServer> {
  const work = mkdtempSync(join(tmpdir(), 'drover-artifacts-src-'));
  const tree = join(work, 'tree');
  for (const [path, text] of Object.entries(BUNDLE_TREE)) {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  execFileSync('tar', ['-czf', join(work, 'bundle.tar.gz'), '-C', tree, '.']);
  execFileSync('zip', ['-qr', join(work, 'bundle.zip'), '.'], { cwd: tree });
  const files = new Map<string, Buffer>([
    ['/bundle.tar.gz', readFileSync(join(work, 'bundle.tar.gz'))],
    ['/bundle.zip', readFileSync(join(work, 'bundle.zip'))],
    ['/notes.txt', Buffer.from(NOTES)],
  ]);
  rmSync(work, { recursive: true, force: true });
  const requests: string[] = [];
  const lastHeaders = new Map<string, Record<string, string | string[] | undefined>>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${path} ${req.headers['user-agent'] ?? ''}`);
    lastHeaders.set(path, req.headers);
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    sha256: (path) => createHash('sha256').update(files.get(path)!).digest('hex'),
    requests,
    lastHeaders,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
