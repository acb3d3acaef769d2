// An ssh transport to a throwaway OpenSSH server on a loopback address, logged in as the
// non-root `deploy` user with only the node's identity offered (an empty home, no agent).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshTransport, type SshTransportOptions } from '../../providers/transports/ssh.js';
import type { NodeSpec } from '../../providers/types.js';
import { startSshHost, type SshHost } from './sshd.js';

export interface SshTransportFixture {
  transport: SshTransport;
  host: SshHost;
  /** Closes the transport, stops the server and removes the empty home. */
  close: () => Promise<void>;
}

export async function openSshTransport(opts: {
  address: string;
  alloc_root: string;
  /** As drover.hcl gives a node without an alloc_root of its own. */
  alloc_root_fallback?: string;
  name?: string;
  drivers?: SshTransportOptions['drivers'];
}): Promise<SshTransportFixture> {
  const host = await startSshHost({ address: opts.address });
  const home = await mkdtemp(join(tmpdir(), 'drover-ssh-home-'));
  const node: NodeSpec = {
    name: opts.name ?? 'ssh-1',
    transport: 'ssh',
    address: host.address,
    port: host.port,
    user: host.user,
    identity: host.privateKeyPath,
    datacenter: 'dc1',
    meta: {},
    alloc_root: opts.alloc_root,
    ...(opts.alloc_root_fallback ? { alloc_root_fallback: opts.alloc_root_fallback } : {}),
  };
  const transport = new SshTransport(node, {
    home,
    agentSocket: null,
    ...(opts.drivers ? { drivers: opts.drivers } : {}),
  });
  return {
    transport,
    host,
    close: async () => {
      await transport.close();
      await host.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
