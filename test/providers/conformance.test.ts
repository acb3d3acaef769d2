// Every transport passes the same suite: the local one on this machine, the ssh one against a
// real OpenSSH server on a loopback address.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { LocalTransport } from '../../providers/transports/local.js';
import { DEFAULT_MAX_CHANNELS, SshTransport } from '../../providers/transports/ssh.js';
import { startSshHost } from '../support/sshd.js';
import { transportConformance } from './transport-conformance.js';

transportConformance('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'drover-conformance-'));
  const transport = new LocalTransport(
    {
      name: 'local',
      transport: 'local',
      datacenter: 'dc1',
      meta: {},
      alloc_root: join(dir, 'alloc'),
    },
    { drivers: [new RawExecDriver()] },
  );
  return {
    transport,
    cleanup: async () => {
      await transport.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

transportConformance('ssh', async () => {
  const host = await startSshHost({ address: '127.0.0.2' });
  // An empty home: no known_hosts, no default keys; only the node's identity is offered.
  const home = await mkdtemp(join(tmpdir(), 'drover-conformance-home-'));
  const transport = new SshTransport(
    {
      name: 'web-1',
      transport: 'ssh',
      address: host.address,
      port: host.port,
      user: host.user,
      identity: host.privateKeyPath,
      datacenter: 'dc1',
      meta: {},
      alloc_root: '/var/lib/drover/alloc',
    },
    { drivers: [new RawExecDriver()], home, agentSocket: null },
  );
  return {
    transport,
    maxChannels: DEFAULT_MAX_CHANNELS,
    cleanup: async () => {
      await transport.close();
      await host.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
});
