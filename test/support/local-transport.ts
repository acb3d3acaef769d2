import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LocalTransport } from '../../providers/transports/local.js';
import type { Shell, Transport } from '../../providers/types.js';

/**
 * A local transport over a temp dir for the tests of this file (made before them, removed
 * after). `dir()` is the temp dir, `transport()` the transport (alloc_root `<dir>/alloc`).
 */
export function localTransportFixture(prefix: string): {
  dir: () => string;
  transport: () => LocalTransport;
} {
  let dir = '';
  let transport: LocalTransport | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    transport = new LocalTransport({
      name: 'local',
      transport: 'local',
      datacenter: 'dc1',
      meta: {},
      alloc_root: join(dir, 'alloc'),
    });
  });
  afterAll(async () => {
    await transport?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    transport: () => {
      if (!transport) throw new Error('the local transport exists only inside tests');
      return transport;
    },
  };
}

type WithShell = Transport & { readonly shell: Shell };

/** `transport` with its shell's `sh` wrapped to record each script it is asked to run. */
export function recordingScripts<T extends WithShell & Shell>(
  transport: T,
): { transport: T; scripts: string[] } {
  const scripts: string[] = [];
  // The transport is its own shell (a getter returning `this`): the wrapper is the shell too.
  const wrapped = Object.create(transport) as T;
  wrapped.sh = (script, opts) => {
    scripts.push(script);
    return transport.sh(script, opts);
  };
  return { transport: wrapped, scripts };
}
