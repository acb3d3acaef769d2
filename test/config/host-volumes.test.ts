import { describe, expect, it } from 'vitest';
import { loadTestConfig } from './support.js';

function load(source: string) {
  const { config, diags } = loadTestConfig(source);
  const found = diags.items.map((d) => ({
    severity: d.severity,
    summary: d.summary,
    detail: d.detail ?? '',
    at: `${d.range?.start.line}:${d.range?.start.column}`,
  }));
  return { config, found };
}

describe('host_volume blocks of a node', () => {
  it('are read by name, read-write unless read_only, with paths normalised', () => {
    const { config, found } = load(`
node "a" {
  host_volume "data" {
    path = "/srv/data/"
  }
  host_volume "certs" {
    path      = "/etc/ssl/certs"
    read_only = true
  }
}
node "b" {}
`);
    expect(found).toEqual([]);
    expect(config!.nodes[0]!.host_volumes).toEqual({
      data: { path: '/srv/data', read_only: false },
      certs: { path: '/etc/ssl/certs', read_only: true },
    });
    expect(config!.nodes[1]!.host_volumes).toBeUndefined();
  });

  it('refuse a relative path at its value', () => {
    const { config, found } = load(`
node "a" {
  host_volume "data" {
    path = "srv/data"
  }
}
`);
    expect(config).toBeUndefined();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', at: '4:12' });
    expect(found[0]!.detail + found[0]!.summary).toMatch(/absolute|pattern/i);
  });

  it('refuse a name written twice in one node, at the second one', () => {
    const { found } = load(`
node "a" {
  host_volume "data" {
    path = "/srv/a"
  }
  host_volume "data" {
    path = "/srv/b"
  }
}
`);
    expect(found).toEqual([
      expect.objectContaining({ severity: 'error', summary: 'Duplicate host volume', at: '6:15' }),
    ]);
    expect(found[0]!.detail).toContain('line 3');
  });

  it('refuse a missing path and unknown arguments', () => {
    const { found } = load(`
node "a" {
  host_volume "data" {
    read_only = true
    per_alloc = true
  }
}
`);
    const summaries = found.map((f) => `${f.at} ${f.summary} ${f.detail}`);
    expect(summaries.some((s) => s.includes('path'))).toBe(true);
    expect(summaries.some((s) => s.startsWith('5:'))).toBe(true);
  });

  it('come from the defaults block too, a node block of the same name winning', () => {
    const { config, found } = load(`
defaults {
  host_volume "certs" {
    path      = "/etc/ssl/certs"
    read_only = true
  }
  host_volume "data" {
    path = "/srv/default"
  }
}
node "a" {
  host_volume "data" {
    path = "/srv/a"
  }
}
node "b" {}
`);
    expect(found).toEqual([]);
    expect(config!.nodes.map((n) => n.host_volumes)).toEqual([
      {
        data: { path: '/srv/a', read_only: false },
        certs: { path: '/etc/ssl/certs', read_only: true },
      },
      {
        certs: { path: '/etc/ssl/certs', read_only: true },
        data: { path: '/srv/default', read_only: false },
      },
    ]);
  });

  it('refuse a name written twice in the defaults block', () => {
    const { found } = load(`
defaults {
  host_volume "data" {
    path = "/srv/a"
  }
  host_volume "data" {
    path = "/srv/b"
  }
}
`);
    expect(found).toEqual([
      expect.objectContaining({ severity: 'error', summary: 'Duplicate host volume', at: '6:15' }),
    ]);
  });
});
