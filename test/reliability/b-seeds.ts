/**
 * Valid inputs the fuzz part mutates: the repository's jobspecs and drover.hcl files as they
 * are, and a planfile and a state file made by the real CLI on a raw_exec job (b-raw-exec.ts).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function hclFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return hclFiles(path);
    return name.endsWith('.hcl') ? [path] : [];
  });
}

/** Jobspecs of examples/ and test/fixtures/ (everything but drover.hcl and var files). */
export function jobspecSeeds(): string[] {
  return [...hclFiles(join(ROOT, 'examples')), ...hclFiles(join(ROOT, 'test/fixtures'))]
    .filter((p) => !p.endsWith('/drover.hcl') && !p.endsWith('.vars.hcl'))
    .map((p) => readFileSync(p, 'utf8'));
}

/** drover.hcl files of examples/, and config sources the config tests use inline. */
export function configSeeds(): string[] {
  const files = hclFiles(join(ROOT, 'examples')).filter((p) => p.endsWith('/drover.hcl'));
  return [
    ...files.map((p) => readFileSync(p, 'utf8')),
    `state {\n  backend = "postgres"\n  url = "postgres://drover@127.0.0.1:5432/fleet"\n}\n` +
      `node "web-1" {\n  transport = "ssh"\n  address = "127.0.0.2"\n  port = 22\n  user = "deploy"\n` +
      `  identity = "/home/deploy/.ssh/id_ed25519"\n  datacenter = "dc1"\n  class = "web"\n` +
      `  meta { rack = "r1" }\n}\n` +
      `node "docker" {\n  transport = "docker"\n  address = "unix:///var/run/docker.sock"\n}\n`,
  ];
}
