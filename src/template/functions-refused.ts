/**
 * Functions consul-template has that drover parses but does not run, each with the reason: the
 * Consul and Vault lookups (the plan refuses them by line, see calledFunctions), and the ones that
 * reach outside the render (files, plugins, the host's network).
 */
import { fn } from './builtins.js';
import type { TemplateFunc } from './exec.js';

/** consul-template's functions that read Consul or Vault. */
export const CONSUL_VAULT_FUNCTIONS: readonly string[] = [
  'caLeaf',
  'caRoots',
  'connect',
  'datacenters',
  'exportedServices',
  'key',
  'keyExists',
  'keyOrDefault',
  'ls',
  'node',
  'nodes',
  'partitions',
  'peerings',
  'pkiCert',
  'safeLs',
  'safeTree',
  'secret',
  'secrets',
  'service',
  'services',
  'tree',
];

const refuse =
  (why: (name: string) => string): ((name: string) => TemplateFunc) =>
  (name) =>
    fn(0, Infinity, () => {
      throw new Error(why(name));
    });

const consulVault = refuse(
  (name) =>
    `${name} reads Consul or Vault, which drover does not connect to; it is not supported (use nomadVar or nomadService)`,
);

const OUTSIDE: Record<string, string> = {
  file: 'reads a file on the client host; drover renders on its own machine, so it does not run it (use a template source or an artifact)',
  plugin: 'runs an executable on the client host; drover does not run plugins from templates',
  writeToFile:
    'writes a file on the client host as a side effect; drover does not run it (use another template block)',
  sockaddr:
    "reads the client host's network interfaces (go-sockaddr); it is not supported by drover (use the NOMAD_IP_* / NOMAD_ADDR_* environment)",
  spew_dump: 'writes to the renderer\'s standard output; drover does not run it (use printf "%#v")',
  spew_printf: 'is a debugging printer drover does not run (use printf)',
  spew_sdump: 'is a debugging printer drover does not run (use printf "%#v")',
  spew_sprintf: 'is a debugging printer drover does not run (use printf)',
  byKey: 'groups Consul KV pairs from tree, which drover does not read; it is not supported',
  explode:
    'expands Consul KV pairs from tree, which drover does not read; it is not supported (explodeMap works on maps)',
  byMeta: 'groups Consul services by their Meta, which drover does not read; it is not supported',
};

export const REFUSED_FUNCTIONS: [string, TemplateFunc][] = [
  ...CONSUL_VAULT_FUNCTIONS.map((n): [string, TemplateFunc] => [n, consulVault(n)]),
  ...Object.entries(OUTSIDE).map(([n, why]): [string, TemplateFunc] => [
    n,
    refuse((name) => `${name} ${why}`)(n),
  ]),
];
