/**
 * What is really on the hosts, read independently of drover: the engine's containers by their
 * `drover.*` labels, and the live processes under allocation directories (by working directory,
 * command line or NOMAD_ALLOC_DIR), with the allocation each belongs to. The test hosts (local,
 * loopback sshd) are all this machine, so /proc sees every one of them.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type Docker from 'dockerode';

export interface Found {
  /** The allocation id the thing names. */
  alloc: string;
  running: boolean;
  /** "container 1a2b3c4d (…)" or "process 1234 (…)". */
  what: string;
}

export async function containers(docker: Docker, jobPrefix: string): Promise<Found[]> {
  const list = await docker.listContainers({ all: true, filters: { label: ['drover.alloc'] } });
  return list
    .filter((c) => (c.Labels['drover.job'] ?? '').startsWith(jobPrefix))
    .map((c) => ({
      alloc: c.Labels['drover.alloc'] ?? '',
      running: c.State === 'running',
      what: `container ${c.Id.slice(0, 12)} (${c.Names[0] ?? ''}, ${c.State})`,
    }));
}

/** Live (not zombie) processes whose cwd, argv or NOMAD_ALLOC_DIR lies under one of `roots`. */
export function allocProcesses(roots: readonly string[]): Found[] {
  const found: Found[] = [];
  const under = (text: string): string | undefined => {
    for (const root of roots) {
      const at = text.indexOf(`${root}/`);
      if (at >= 0) return text.slice(at + root.length + 1).split(/[/\s\0]/)[0];
    }
    return undefined;
  };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'latin1'))) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1')
        .split('\0')
        .filter((e) => e.startsWith('NOMAD_ALLOC_DIR='))
        .join('\0');
      const cwd = readlinkSafe(`/proc/${pid}/cwd`);
      const alloc = under(`${cwd}/`) ?? under(cmdline) ?? under(env);
      if (alloc)
        found.push({
          alloc,
          running: true,
          what: `process ${pid} (${cmdline.replace(/\0/g, ' ').trim().slice(0, 60)})`,
        });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
