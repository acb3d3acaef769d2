/** What the end-to-end tests on real SSH hosts share: drover.hcl for them, and waiting. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshHost } from '../support/sshd.js';

/** Writes `dir/drover.hcl` with one ssh node per host, named `names[i]`. */
export function writeSshConfig(
  dir: string,
  hosts: readonly SshHost[],
  names: readonly string[],
  allocRoot: string,
): void {
  const blocks = hosts.map(
    (h, i) => `node "${names[i]}" {
  transport  = "ssh"
  address    = "${h.address}"
  port       = ${h.port}
  user       = "${h.user}"
  identity   = "${h.privateKeyPath}"
  alloc_root = "${allocRoot}"
}
`,
  );
  writeFileSync(join(dir, 'drover.hcl'), blocks.join('\n'));
}

/**
 * Writes `dir/drover.hcl` with a node "local" (allocations under `dir/alloc`) and a node
 * "remote" on `host`, whose allocations go under `remoteRoot/alloc`.
 */
export function writeLocalAndSshConfig(dir: string, host: SshHost, remoteRoot: string): void {
  writeSshConfig(dir, [host], ['remote'], `${remoteRoot}/alloc`);
  const local = `node "local" {
  transport  = "local"
  alloc_root = "${join(dir, 'alloc')}"
}

`;
  const path = join(dir, 'drover.hcl');
  writeFileSync(path, local + readFileSync(path, 'utf8'));
}

export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
