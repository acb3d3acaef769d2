/** drover.hcl's server block: defaults, every argument, and diagnostics at the bad value's place. */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { withFlags } from '../../../src/cli/commands/server.js';
import { loadTestConfig, positioned } from '../../config/support.js';

describe('the server block', () => {
  it('is absent without one', () => {
    expect(loadTestConfig('node "l" {}\n').config?.server).toBeUndefined();
  });

  it('fills every default', () => {
    const { config, diags } = loadTestConfig('server {}\n');
    expect(positioned(diags)).toEqual([]);
    expect(config?.server).toEqual({
      address: '127.0.0.1',
      port: 4646,
      name: hostname(),
      region: 'global',
      datacenter: 'dc1',
      selfHeal: false,
      reconcileIntervalMs: 10_000,
      nodeCheckIntervalMs: 10_000,
      nodeGraceMs: 30_000,
      leaseTtlMs: 15_000,
      gcThresholdMs: 4 * 3600_000,
      logJson: false,
      acl: { enabled: false },
    });
  });

  it('reads every argument; TLS paths resolve against drover.hcl', () => {
    const { config, diags } = loadTestConfig(
      [
        'server {',
        '  address = "0.0.0.0"',
        '  port = 0',
        '  name = "s1"',
        '  region = "eu"',
        '  datacenter = "fra"',
        '  self_heal = true',
        '  reconcile_interval = "2s"',
        '  node_check_interval = "500ms"',
        '  node_grace = "1m"',
        '  lease_ttl = "3s"',
        '  gc_threshold = "24h"',
        '  log_json = true',
        '  acl { enabled = true }',
        '  tls {',
        '    cert = "tls/server.pem"',
        '    key = "/etc/drover/server-key.pem"',
        '    ca = "tls/ca.pem"',
        '    verify_client = true',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(positioned(diags)).toEqual([]);
    expect(config?.server).toEqual({
      address: '0.0.0.0',
      port: 0,
      name: 's1',
      region: 'eu',
      datacenter: 'fra',
      selfHeal: true,
      reconcileIntervalMs: 2000,
      nodeCheckIntervalMs: 500,
      nodeGraceMs: 60_000,
      leaseTtlMs: 3000,
      gcThresholdMs: 24 * 3600_000,
      logJson: true,
      acl: { enabled: true },
      tls: {
        cert: '/proj/tls/server.pem',
        key: '/etc/drover/server-key.pem',
        ca: '/proj/tls/ca.pem',
        verifyClient: true,
      },
    });
  });

  it('reports bad values at their line and column', () => {
    const { config, diags } = loadTestConfig(
      [
        'server {',
        '  lease_ttl = "10"',
        '  node_grace = "5d"',
        '  reconcile_interval = "10ms"',
        '  port = 70000',
        '  tls {',
        '    cert = "c.pem"',
        '    key = "k.pem"',
        '    verify_client = true',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(config).toBeUndefined();
    const found = positioned(diags);
    expect(found).toContainEqual(['error', expect.stringMatching(/port/), 5, 10]);
    // The schema stops at the port; without it the rules speak.
    const rules = loadTestConfig(
      [
        'server {',
        '  lease_ttl = "10"',
        '  node_grace = "5d"',
        '  reconcile_interval = "10ms"',
        '  tls {',
        '    cert = "c.pem"',
        '    key = "k.pem"',
        '    verify_client = true',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(rules.config).toBeUndefined();
    expect(positioned(rules.diags)).toEqual([
      ['error', 'Invalid value for "reconcile_interval"', 4, 24],
      ['error', 'Invalid value for "node_grace"', 3, 16],
      ['error', 'Invalid value for "lease_ttl"', 2, 15],
      ['error', 'Missing required argument', 5, 3],
    ]);
    expect(rules.diags.items[1]!.detail).toContain('unknown unit "d"');
    expect(rules.diags.items[2]!.detail).toContain('missing unit');
  });

  it('takes the flags of drover server on top', () => {
    const { config } = loadTestConfig('server {\n  port = 5000\n}\n');
    const s = withFlags(config!.server!, { bind: '::1', port: '0', name: 'x', logJson: true });
    expect(s).toMatchObject({ address: '::1', port: 0, name: 'x', logJson: true });
    expect(() => withFlags(config!.server!, { port: 'http' })).toThrow(/-port must be/);
  });
});
