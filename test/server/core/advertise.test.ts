/** What a server tells others its address is: never a wildcard no one can reach. */
import type { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { advertiseHost } from '../../../src/server/run.js';

type Interfaces = ReturnType<typeof networkInterfaces>;
const nic = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;

describe('advertiseHost', () => {
  const interfaces: Interfaces = {
    lo: [nic('127.0.0.1', 'IPv4', true)],
    eth0: [nic('fe80::1', 'IPv6', false), nic('10.0.0.5', 'IPv4', false)],
  };

  it('keeps a bind address that names an interface', () => {
    expect(advertiseHost('127.0.0.1', interfaces)).toBe('127.0.0.1');
    expect(advertiseHost('10.0.0.5', interfaces)).toBe('10.0.0.5');
  });

  it('replaces a wildcard with the first non-internal IPv4 address', () => {
    expect(advertiseHost('0.0.0.0', interfaces)).toBe('10.0.0.5');
    expect(advertiseHost('::', interfaces)).toBe('10.0.0.5');
  });

  it('falls back to loopback on a machine with no other address', () => {
    expect(advertiseHost('0.0.0.0', { lo: interfaces.lo! })).toBe('127.0.0.1');
  });
});
