// Every transport passes the same suite, on the capabilities it offers: the local one on this
// machine, the ssh one against a real OpenSSH server on a loopback address (the docker one runs it
// in docker-api.test.ts, on the TLS engine that file starts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawExecDriver } from '../../providers/drivers/raw_exec.js';
import { LocalTransport } from '../../providers/transports/local.js';
import { DEFAULT_MAX_CHANNELS } from '../../providers/transports/ssh.js';
import { openSshTransport } from '../support/ssh-transport.js';
import { transportConformance } from './transport-conformance.js';

transportConformance('local', ['shell', 'dockerApi', 'tcp'], async () => {
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

transportConformance('ssh', ['shell', 'dockerApi', 'tcp'], async () => {
  const ssh = await openSshTransport({
    address: '127.0.0.2',
    name: 'web-1',
    // The default configuration: deploy cannot write the system root, so the fallback serves.
    alloc_root: '/var/lib/drover/alloc',
    alloc_root_fallback: '~/.local/share/drover/alloc',
    drivers: [new RawExecDriver()],
  });
  return { transport: ssh.transport, maxChannels: DEFAULT_MAX_CHANNELS, cleanup: ssh.close };
});
