import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, loadConfigSource, type ConfigLoadOptions } from '../../src/config/load.js';
import type { DroverConfig, HostFacts } from '../../src/config/types.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';

const FILE = 'drover.hcl';
const host: HostFacts = { cwd: '/proj', home: '/home/me', username: 'me', isRoot: false };
const rootHost: HostFacts = { ...host, home: '/root', username: 'root', isRoot: true };

/** Severity, summary, line and column of each diagnostic, in source order. */
type Found = [severity: string, summary: string, line: number, column: number];

function load(
  source: string,
  opts: ConfigLoadOptions = {},
): { config: DroverConfig | undefined; found: Found[]; diags: Diagnostics } {
  const diags = new Diagnostics();
  const config = loadConfigSource(source, FILE, diags, {
    host,
    fileExists: () => true,
    env: {},
    ...opts,
  });
  const found = diags.items
    .map((d): Found => [
      d.severity,
      d.summary,
      d.range?.start.line ?? 0,
      d.range?.start.column ?? 0,
    ])
    .sort((a, b) => a[2] - b[2] || a[3] - b[3]);
  return { config, found, diags };
}

const noReserved = { cpu: 0, memory: 0, disk: 0, ports: [] };

describe('valid configurations', () => {
  it('loads every argument of the design example, with nothing reported', () => {
    const { config, found } = load(`
state {
  backend = "local"
  path    = "var/state.json"
}

defaults {
  datacenter = "eu-west"
  scheduler  = "spread"
}

node "web-1" {
  transport  = "ssh"
  address    = "10.0.0.5"
  port       = 2222
  user       = "deploy"
  identity   = "keys/id_ed25519"
  bastion    = "jump@bastion.example.com:22"
  datacenter = "dc1"
  class      = "web"
  node_pool  = "edge"
  alloc_root = "/srv/drover"
  meta {
    rack = "r1"
  }
  reserved {
    cpu    = 100
    memory = 256
    disk   = 1024
    ports  = "22,80,8000-8002"
  }
}
`);
    expect(found).toEqual([]);
    expect(config).toMatchObject({
      file: '/proj/drover.hcl',
      state: { backend: 'local', path: '/proj/var/state.json' },
      scheduler: 'spread',
    });
    expect(config?.nodes).toEqual([
      {
        name: 'web-1',
        transport: 'ssh',
        address: '10.0.0.5',
        port: 2222,
        user: 'deploy',
        identity: '/proj/keys/id_ed25519',
        bastion: 'jump@bastion.example.com:22',
        datacenter: 'dc1',
        class: 'web',
        node_pool: 'edge',
        alloc_root: '/srv/drover',
        meta: { rack: 'r1' },
        reserved: { cpu: 100, memory: 256, disk: 1024, ports: [22, 80, 8000, 8001, 8002] },
      },
    ]);
  });

  it('keeps the default local node when the file declares no node', () => {
    const { config, found } = load('state {\n  path = "s.json"\n}\n');
    expect(found).toEqual([]);
    expect(config?.state.path).toBe('/proj/s.json');
    expect(config?.nodes).toEqual([
      {
        name: 'local',
        transport: 'local',
        datacenter: 'dc1',
        node_pool: 'default',
        meta: {},
        alloc_root: '/home/me/.local/share/drover/alloc',
        reserved: noReserved,
      },
    ]);
  });

  it('copies images from this machine unless images { ship = false } says not to', () => {
    expect(load('state {\n  path = "s.json"\n}\n').config?.images).toEqual({ ship: true });
    const { config, found } = load('images {\n  ship = false\n}\n');
    expect(found).toEqual([]);
    expect(config?.images).toEqual({ ship: false });
    expect(load('images {\n  shp = false\n}\n').found.map((f) => f[0])).toEqual(['error']);
  });

  it('prunes a stack unless stack { prune = false } says not to', () => {
    expect(load('state {\n  path = "s.json"\n}\n').config?.prune).toBe(true);
    const { config, found } = load('stack {\n  prune = false\n}\n');
    expect(found).toEqual([]);
    expect(config?.prune).toBe(false);
    expect(load('stack {\n  prune = "no"\n}\n').found.map((f) => f[0])).toEqual(['error']);
  });

  it('infers ssh from an address, with port 22 and the user running drover', () => {
    const { config } = load('node "a" {\n  address = "10.0.0.1"\n}\n');
    expect(config?.nodes[0]).toMatchObject({
      transport: 'ssh',
      port: 22,
      user: 'me',
      alloc_root: '/var/lib/drover/alloc',
    });
    expect(config?.nodes[0]?.identity).toBeUndefined();
  });

  it('gives nodes the defaults block’s settings unless they set their own', () => {
    const { config, found } = load(`
defaults {
  datacenter = "dc9"
  node_pool  = "batch"
  alloc_root = "/data/alloc"
  user       = "ops"
  identity   = "~/.ssh/ops"
  bastion    = "jump"
}
node "a" {
  address = "10.0.0.1"
}
node "b" {
  address    = "10.0.0.2"
  datacenter = "dc2"
  user       = "other"
  identity   = "/keys/b"
}
node "c" {}
`);
    expect(found).toEqual([]);
    expect(config?.scheduler).toBe('binpack');
    const [a, b, c] = config?.nodes ?? [];
    expect(a).toMatchObject({
      datacenter: 'dc9',
      node_pool: 'batch',
      alloc_root: '/data/alloc',
      user: 'ops',
      identity: '/home/me/.ssh/ops',
      bastion: 'jump',
    });
    expect(b).toMatchObject({ datacenter: 'dc2', user: 'other', identity: '/keys/b' });
    // SSH settings mean nothing to a local node.
    expect(c).toEqual({
      name: 'c',
      transport: 'local',
      datacenter: 'dc9',
      node_pool: 'batch',
      meta: {},
      alloc_root: '/data/alloc',
      reserved: noReserved,
    });
  });

  it.each([
    [
      'an address',
      'address = "10.0.0.7"',
      { address: '10.0.0.7', docker_host: 'tcp://10.0.0.7:2376' },
    ],
    [
      'an IPv6 address',
      'address = "fd00::7"',
      { address: 'fd00::7', docker_host: 'tcp://[fd00::7]:2376' },
    ],
    [
      'a docker_host',
      'docker_host = "tcp://d.example:2375"',
      { address: 'd.example', docker_host: 'tcp://d.example:2375' },
    ],
    [
      'a unix socket',
      'docker_host = "unix:///var/run/docker.sock"',
      { docker_host: 'unix:///var/run/docker.sock' },
    ],
  ])('completes a docker node from %s', (_what, line, want) => {
    const { config, found } = load(`node "d" {\n  transport = "docker"\n  ${line}\n}\n`);
    expect(found).toEqual([]);
    const node = config?.nodes[0];
    expect(node).toMatchObject(want);
    expect(node?.address).toBe((want as { address?: string }).address);
    expect(node?.port).toBeUndefined();
  });

  it('resolves TLS files of docker nodes against the file’s directory', () => {
    const { config } = load(
      'node "d" {\n  transport = "docker"\n  address = "h"\n  tls {\n    ca = "tls/ca.pem"\n    cert = "~/c.pem"\n    key = "/k.pem"\n  }\n}\n',
    );
    expect(config?.nodes[0]?.tls).toEqual({
      ca: '/proj/tls/ca.pem',
      cert: '/home/me/c.pem',
      key: '/k.pem',
    });
  });

  it('puts local nodes’ allocations under /var/lib/drover/alloc when drover runs as root', () => {
    const { config } = load('node "l" {}\n', { host: rootHost });
    expect(config?.nodes[0]?.alloc_root).toBe('/var/lib/drover/alloc');
  });

  it('expands ~/ in a local node’s alloc_root', () => {
    const { config } = load('node "l" {\n  alloc_root = "~/alloc"\n}\n');
    expect(config?.nodes[0]?.alloc_root).toBe('/home/me/alloc');
  });

  it('evaluates functions: env(), file() relative to the file, and the standard library', () => {
    const { config, found } = load(
      `node "a" {
  address = env("WEB_ADDR")
  user    = lower(env("NOT_SET") == "" ? "DEPLOY" : "x")
  meta {
    rack = trimspace(file("rack.txt"))
  }
}
`,
      {
        env: { WEB_ADDR: '10.1.2.3' },
        readFile: (p) => {
          if (p === '/proj/rack.txt') return ' r7\n';
          throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        },
      },
    );
    expect(found).toEqual([]);
    expect(config?.nodes[0]).toMatchObject({
      address: '10.1.2.3',
      user: 'deploy',
      meta: { rack: 'r7' },
    });
  });

  it('converts scalars as HCL does (meta numbers become strings, "22" a port)', () => {
    const { config, found } = load(
      'node "a" {\n  address = "h"\n  port = "2022"\n  meta {\n    rack = 3\n  }\n}\n',
    );
    expect(found).toEqual([]);
    expect(config?.nodes[0]).toMatchObject({ port: 2022, meta: { rack: '3' } });
  });

  it('records where each node was written', () => {
    const { config } = load('\nnode "a" {}\nnode "b" {\n  address = "h"\n}\n');
    expect(config?.ranges?.nameRange('/node/1').start).toMatchObject({ line: 3, column: 1 });
    expect(config?.ranges?.valueRange('/node/1/address').start).toMatchObject({
      line: 4,
      column: 13,
    });
  });
});

describe('invalid configurations', () => {
  const cases: [name: string, source: string, found: Found[]][] = [
    [
      'a misspelt argument, with a suggestion',
      'node "a" {\n  adress = "h"\n}\n',
      [['error', 'Unsupported argument', 2, 3]],
    ],
    ['a misspelt top-level block', 'nodes "a" {}\n', [['error', 'Unsupported block type', 1, 1]]],
    ['a top-level argument', 'scheduler = "spread"\n', [['error', 'Unsupported argument', 1, 1]]],
    ['a variable block', 'variable "x" {}\n', [['error', 'Unsupported block type', 1, 1]]],
    [
      'a variable reference',
      'node "a" {\n  address = var.addr\n}\n',
      [['error', 'Variables not allowed', 2, 13]],
    ],
    [
      'an unknown transport',
      'node "a" {\n  transport = "sssh"\n}\n',
      [['error', 'Invalid value for "transport"', 2, 15]],
    ],
    [
      'an unknown state backend',
      'state {\n  backend = "s3"\n}\n',
      [['error', 'Invalid value for "backend"', 2, 13]],
    ],
    [
      'an unknown scheduler',
      'defaults {\n  scheduler = "packbin"\n}\n',
      [['error', 'Invalid value for "scheduler"', 2, 15]],
    ],
    [
      'a port out of range',
      'node "a" {\n  address = "h"\n  port    = 70000\n}\n',
      [['error', 'Invalid value for "port"', 3, 13]],
    ],
    [
      'a port that is not a number',
      'node "a" {\n  address = "h"\n  port    = "ssh"\n}\n',
      [['error', 'Incorrect attribute value type', 3, 13]],
    ],
    [
      'a node name with a space',
      'node "web 1" {}\n',
      [['error', 'Invalid value for "name"', 1, 6]],
    ],
    ['a node without a name', 'node {}\n', [['error', 'Missing name for node', 1, 1]]],
    [
      'two nodes with one name',
      'node "a" {}\n\nnode "a" {}\n',
      [['error', 'Duplicate node', 3, 6]],
    ],
    [
      'an ssh node without an address',
      'node "a" {\n  transport = "ssh"\n}\n',
      [['error', 'Missing required argument', 1, 1]],
    ],
    [
      'a docker node without an address or docker_host',
      '\nnode "d" {\n  transport = "docker"\n}\n',
      [['error', 'Missing required argument', 2, 1]],
    ],
    [
      'a docker_host that is not a URL',
      'node "d" {\n  transport   = "docker"\n  docker_host = "10.0.0.5:2376"\n}\n',
      [['error', 'Invalid value for "docker_host"', 3, 17]],
    ],
    [
      'a bastion that is not [user@]host[:port]',
      'node "a" {\n  address = "h"\n  bastion = "ssh://jump"\n}\n',
      [['error', 'Invalid value for "bastion"', 3, 13]],
    ],
    [
      'a relative alloc_root',
      'node "a" {\n  alloc_root = "alloc"\n}\n',
      [['error', 'Invalid value for "alloc_root"', 2, 16]],
    ],
    [
      'a ~/ alloc_root on a remote node',
      'node "a" {\n  address    = "h"\n  alloc_root = "~/alloc"\n}\n',
      [['error', 'Invalid value for "alloc_root"', 3, 16]],
    ],
    [
      'a ~/ default alloc_root a remote node inherits',
      'defaults {\n  alloc_root = "~/alloc"\n}\nnode "l" {}\nnode "a" {\n  address = "h"\n}\n',
      [['error', 'Invalid value for "alloc_root"', 2, 16]],
    ],
    [
      'a reserved port range that ends before it starts',
      'node "a" {\n  reserved {\n    ports = "22,90-80"\n  }\n}\n',
      [['error', 'Invalid value for "ports"', 3, 13]],
    ],
    [
      'a reserved port above 65535',
      'node "a" {\n  reserved {\n    ports = "22,65536"\n  }\n}\n',
      [['error', 'Invalid value for "ports"', 3, 13]],
    ],
    [
      'negative reserved memory',
      'node "a" {\n  reserved {\n    memory = -1\n  }\n}\n',
      [['error', 'Invalid value for "memory"', 3, 14]],
    ],
    ['two state blocks', 'state {}\nstate {}\n', [['error', 'Duplicate state block', 2, 1]]],
    [
      'a block written as an argument',
      'node "a" {\n  address = "h"\n  reserved = 5\n}\n',
      [['error', 'Unsupported argument', 3, 3]],
    ],
    [
      'an argument written as a block',
      'node "a" {\n  address {}\n}\n',
      [['error', 'Unsupported block type', 2, 3]],
    ],
    [
      'a nested block in meta',
      'node "a" {\n  meta {\n    rack {}\n  }\n}\n',
      [['error', 'Unexpected block', 3, 5]],
    ],
    ['a syntax error', 'node "a" {\n  address = \n}\n', [['error', 'Invalid expression', 2, 13]]],
    [
      'several problems at once, all reported',
      'node "a" {\n  adress = "h"\n  port = 0\n}\nnode "b" {\n  transport = "ftp"\n}\n',
      [
        ['error', 'Unsupported argument', 2, 3],
        ['error', 'Invalid value for "port"', 3, 10],
        ['error', 'Invalid value for "transport"', 6, 15],
      ],
    ],
  ];

  it.each(cases)('reports %s at its place and returns no config', (_name, source, want) => {
    const { config, found } = load(source);
    expect(found).toEqual(want);
    expect(config).toBeUndefined();
  });

  it('suggests the closest name for misspellings', () => {
    const details = (src: string) => load(src).diags.items.map((d) => d.detail);
    expect(details('node "a" {\n  adress = "h"\n}\n')[0]).toContain('Did you mean "address"?');
    expect(details('nodes "a" {}\n')[0]).toContain('Did you mean "node"?');
    expect(details('node "a" {\n  transport = "sssh"\n}\n')[0]).toContain('Did you mean "ssh"?');
  });

  it('names the first definition of a duplicate node', () => {
    const { diags } = load('node "a" {}\n\nnode "a" {}\n');
    expect(diags.items[0]?.detail).toBe(
      'A node named "a" is already defined at line 1. Node names must be unique.',
    );
  });

  it('reports an ssh node without address at the node’s type and label', () => {
    const { diags } = load('node "web-1" {\n  transport = "ssh"\n}\n');
    expect(diags.items[0]?.range).toMatchObject({
      filename: FILE,
      start: { line: 1, column: 1, byte: 0 },
      end: { line: 1, column: 13, byte: 12 },
    });
  });
});

describe('warnings', () => {
  it('warns about a missing identity file but still loads the config', () => {
    const { config, found, diags } = load(
      'node "a" {\n  address  = "h"\n  identity = "~/.ssh/nope"\n}\n',
      {
        fileExists: () => false,
      },
    );
    expect(found).toEqual([['warning', 'Identity file not found', 3, 14]]);
    expect(diags.items[0]?.detail).toContain('"/home/me/.ssh/nope"');
    expect(config?.nodes[0]?.identity).toBe('/home/me/.ssh/nope');
  });

  it('checks a default identity only when an ssh node uses it', () => {
    const src = (nodes: string) => `defaults {\n  identity = "k"\n}\n${nodes}`;
    const missing = { fileExists: () => false };
    expect(load(src('node "l" {}\n'), missing).found).toEqual([]);
    expect(load(src('node "a" {\n  address = "h"\n}\n'), missing).found).toEqual([
      ['warning', 'Identity file not found', 2, 14],
    ]);
  });

  it('warns about missing TLS files of docker nodes', () => {
    const { found } = load(
      'node "d" {\n  transport = "docker"\n  address = "h"\n  tls {\n    ca = "ca.pem"\n  }\n}\n',
      { fileExists: () => false },
    );
    expect(found).toEqual([['warning', 'TLS file not found', 5, 10]]);
  });

  it.each([
    ['port on a local node', 'node "l" {\n  transport = "local"\n  port = 22\n}\n', 3],
    ['identity on an implied local node', 'node "l" {\n  identity = "k"\n}\n', 2],
    [
      'docker_host on an ssh node',
      'node "s" {\n  address = "h"\n  docker_host = "tcp://h:1"\n}\n',
      3,
    ],
    [
      'user on a docker node',
      'node "d" {\n  transport = "docker"\n  address = "h"\n  user = "u"\n}\n',
      4,
    ],
  ])('warns that %s has no effect', (_what, source, line) => {
    const { config, found } = load(source);
    expect(found).toEqual([['warning', 'Argument has no effect', line, 3]]);
    expect(config).toBeDefined();
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const at = (cwd: string, over: Partial<HostFacts> = {}): HostFacts => ({ ...host, cwd, ...over });

  it('uses the embedded default when there is no ./drover.hcl and no -config', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const diags = new Diagnostics();
    const config = loadConfig(undefined, diags, { host: at(empty) });
    expect(diags.items).toEqual([]);
    expect(config).toEqual({
      state: { backend: 'local', path: join(empty, '.drover/state.json') },
      scheduler: 'binpack',
      images: { ship: true },
      prune: true,
      nodes: [
        {
          name: 'local',
          transport: 'local',
          datacenter: 'dc1',
          node_pool: 'default',
          meta: {},
          alloc_root: '/home/me/.local/share/drover/alloc',
          reserved: noReserved,
        },
      ],
    });
  });

  it('puts the embedded default’s allocations under /var/lib/drover/alloc for root', () => {
    const config = loadConfig(undefined, new Diagnostics(), {
      host: at(join(dir, 'nowhere'), { isRoot: true }),
    });
    expect(config?.nodes[0]?.alloc_root).toBe('/var/lib/drover/alloc');
  });

  it('reads ./drover.hcl when there is one', () => {
    const cwd = join(dir, 'withfile');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'drover.hcl'), 'node "box" {}\n');
    const config = loadConfig(undefined, new Diagnostics(), { host: at(cwd) });
    expect(config?.file).toBe(join(cwd, 'drover.hcl'));
    expect(config?.nodes.map((n) => n.name)).toEqual(['box']);
    expect(config?.state.path).toBe(join(cwd, '.drover/state.json'));
  });

  it('resolves the state path against the directory of a -config file', () => {
    const cwd = join(dir, 'repo');
    mkdirSync(join(cwd, 'ops'), { recursive: true });
    writeFileSync(join(cwd, 'ops', 'prod.hcl'), 'state {\n  path = "../state/prod.json"\n}\n');
    const config = loadConfig('ops/prod.hcl', new Diagnostics(), { host: at(cwd) });
    expect(config?.state.path).toBe(join(cwd, 'state', 'prod.json'));
    const def = loadConfig(join(cwd, 'ops', 'prod.hcl'), new Diagnostics(), {
      host: at('/elsewhere'),
    });
    expect(def?.state.path).toBe(join(cwd, 'state', 'prod.json'));
  });

  it('keeps an absolute state path and expands ~/', () => {
    const abs = load('state {\n  path = "/var/drover/s.json"\n}\n').config;
    expect(abs?.state.path).toBe('/var/drover/s.json');
    const home = load('state {\n  path = "~/drover/s.json"\n}\n').config;
    expect(home?.state.path).toBe('/home/me/drover/s.json');
  });

  it('fails on a -config file that does not exist, without a range', () => {
    const diags = new Diagnostics();
    expect(loadConfig('missing.hcl', diags, { host: at(dir) })).toBeUndefined();
    expect(diags.items).toEqual([
      {
        severity: 'error',
        summary: 'Configuration file not found',
        detail: 'No file exists at "missing.hcl".',
      },
    ]);
  });

  it('fails on a -config that is a directory', () => {
    const diags = new Diagnostics();
    expect(loadConfig('.', diags, { host: at(dir) })).toBeUndefined();
    expect(diags.items.map((d) => d.summary)).toEqual(['Cannot read configuration file']);
  });

  it('reports diagnostics with the file name as given', () => {
    const cwd = join(dir, 'bad');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'drover.hcl'), 'node "a" {\n  adress = "h"\n}\n');
    const diags = new Diagnostics();
    expect(loadConfig(undefined, diags, { host: at(cwd) })).toBeUndefined();
    expect(diags.items[0]?.range?.filename).toBe('drover.hcl');
  });

  it('loads the GitOps example’s drover.hcl', () => {
    const example = fileURLToPath(new URL('../../examples/gitops/drover.hcl', import.meta.url));
    const diags = new Diagnostics();
    const config = loadConfig(example, diags, { host, fileExists: () => true });
    expect(diags.items).toEqual([]);
    expect(config?.nodes.map((n) => [n.name, n.transport, n.address, n.class])).toEqual([
      ['web-1', 'ssh', '10.0.0.11', 'web'],
      ['web-2', 'ssh', '10.0.0.12', 'web'],
      ['batch-1', 'ssh', '10.0.0.21', 'batch'],
    ]);
    expect(config?.nodes[0]?.identity).toBe('/home/me/.ssh/drover_deploy');
  });
});
