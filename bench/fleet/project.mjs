// The fleet benchmark's drover project, written into a temp dir:
//   <dir>/drover.hcl               `hosts` ssh nodes (127.0.0.21, .22, …), local state in <dir>/state
//   <dir>/jobs/fleet.nomad.hcl     one service job of `count` docker tasks, spread evenly over the nodes
//   <dir>/home/.ssh/known_hosts    the hosts' keys, pre-trusted (drover runs with HOME=<dir>/home)
//   <dir>/alloc                    the nodes' alloc_root, owned by the hosts' user (it makes the
//                                  task directories over SSH; Docker bind-mounts them)
// The container is the rollout benchmark's (BusyBox httpd under Docker's init, 16 MB, 1 s stop).
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND, IMAGE, TAGS, httpdTask } from '../rollout/project.mjs';

export { COMMAND, IMAGE };
export const TAG = TAGS[0];
/** The hosts' loopback addresses: 127.0.0.21, .22, … */
export const hostAddress = (i) => `127.0.0.${21 + i}`;
export const nodeName = (i) => `host-${i + 1}`;

/**
 * The jobspec. All allocations are new, so they start together (max_parallel limits only
 * replacements); min_healthy_time = 0 with task_states health makes each allocation healthy as
 * soon as its container runs, so nothing waits on a timer. The spread on the node's name puts
 * count / hosts on each node.
 */
export function fleetJob({ jobId, count }) {
  return [
    `job "${jobId}" {`,
    '  type        = "service"',
    '  datacenters = ["*"]',
    '',
    '  update {',
    `    max_parallel      = ${count}`,
    '    health_check      = "task_states"',
    '    min_healthy_time  = "0s"',
    '    healthy_deadline  = "2m"',
    '    progress_deadline = "10m"',
    '    auto_revert       = false',
    '  }',
    '',
    '  group "web" {',
    `    count = ${count}`,
    '',
    '    spread {',
    '      attribute = "${node.unique.name}"',
    '      weight    = 100',
    '    }',
    '',
    ...httpdTask(TAG),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** drover.hcl: one ssh node per host, state and alloc_root inside the project. */
export function fleetConfig(dir, hosts) {
  const lines = ['state {', '  backend = "local"', '  path    = "state/state.json"', '}'];
  hosts.forEach((h, i) => {
    lines.push(
      '',
      `node "${nodeName(i)}" {`,
      '  transport  = "ssh"',
      `  address    = "${h.address}"`,
      `  port       = ${h.port}`,
      `  user       = "${h.user}"`,
      `  identity   = ${JSON.stringify(h.userKey)}`,
      '  datacenter = "dc1"',
      `  alloc_root = ${JSON.stringify(join(dir, 'alloc'))}`,
      '}',
    );
  });
  return `${lines.join('\n')}\n`;
}

/** known_hosts lines for the hosts, as `ssh-keyscan` would give them (`[addr]:port key`). */
export function knownHosts(hosts) {
  return hosts.map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}\n`).join('');
}

/**
 * Writes the project into `dir` for `hosts` ({ address, port, user, userKey, hostPublicKey,
 * uid, gid }); returns the paths drover's commands take. `uid`/`gid` own the alloc_root.
 */
export function writeFleetProject(dir, { jobId, count, hosts, owner }) {
  // The hosts' user passes through to alloc_root.
  chmodSync(dir, 0o711);
  const jobs = join(dir, 'jobs');
  const home = join(dir, 'home');
  const alloc = join(dir, 'alloc');
  mkdirSync(jobs, { recursive: true });
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(alloc, { recursive: true });
  if (owner) chownSync(alloc, owner.uid, owner.gid);
  writeFileSync(join(jobs, 'fleet.nomad.hcl'), fleetJob({ jobId, count }));
  writeFileSync(join(home, '.ssh', 'known_hosts'), knownHosts(hosts));
  const config = join(dir, 'drover.hcl');
  writeFileSync(config, fleetConfig(dir, hosts));
  return { jobs, config, home, alloc, stateDir: join(dir, 'state') };
}
