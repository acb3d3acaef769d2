// The plan benchmark's peer: docker-compose on a project of `services` busybox services. Finds
// docker-compose (installing Debian's package when missing and running as root, as
// scripts/test-hosts.sh does for docker.io), writes the project, and reads back which containers
// exist and when they started, so the timed `up -d` can be shown to have changed nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const COMPOSE_IMAGE = 'drover-test/busybox:v1';
const APT_LOG = '/tmp/drover-bench-compose-apt.log';
const TEAMS = ['payments', 'search', 'identity', 'growth', 'platform', 'media', 'data', 'edge'];

const quiet = { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 };

function tryRun(file, args) {
  try {
    return execFileSync(file, args, quiet).trim();
  } catch {
    return undefined;
  }
}

/** The installed compose, as `{ command, prefix, version }`, or undefined. */
function installedCompose() {
  const v1 = tryRun('docker-compose', ['version', '--short']);
  if (v1) return { command: 'docker-compose', prefix: [], version: v1 };
  const v2 = tryRun('docker', ['compose', 'version', '--short']);
  if (v2) return { command: 'docker', prefix: ['compose'], version: v2 };
  return undefined;
}

/**
 * Finds docker-compose and a Docker engine with the test image: `{ compose }` when all is there,
 * else `{ skip: reason }`. Installs Debian's docker-compose when missing and run as root.
 */
export function prepareCompose(log) {
  let compose = installedCompose();
  if (!compose) {
    if (process.getuid?.() !== 0)
      return { skip: 'docker-compose is not installed (run as root to let the bench install it)' };
    if (!tryRun('sh', ['-c', 'command -v apt-get']))
      return { skip: 'docker-compose is not installed and there is no apt-get to install it' };
    log(`installing Debian's docker-compose (log: ${APT_LOG})`);
    const install = [
      'export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1',
      'apt-get install -y -qq docker-compose || { apt-get update -qq && apt-get install -y -qq docker-compose; }',
    ].join('; ');
    try {
      execFileSync('sh', ['-c', `(${install}) >${APT_LOG} 2>&1`], { stdio: 'ignore' });
    } catch {
      return { skip: `apt-get install docker-compose failed (see ${APT_LOG})` };
    }
    compose = installedCompose();
    if (!compose) return { skip: 'docker-compose still does not run after installing it' };
  }
  if (tryRun('docker', ['info', '--format', '{{.ServerVersion}}']) === undefined)
    return { skip: 'no Docker engine answers (run: bash scripts/test-hosts.sh)' };
  if (tryRun('docker', ['image', 'inspect', '--format', '{{.Id}}', COMPOSE_IMAGE]) === undefined)
    return { skip: `image ${COMPOSE_IMAGE} is missing (run: bash scripts/test-hosts.sh)` };
  return { compose };
}

/** A compose file of `count` long-running services, with what a real service file sets. */
export function composeFile(count) {
  const lines = ['services:'];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  svc-${String(i).padStart(2, '0')}:`,
      `    image: ${COMPOSE_IMAGE}`,
      '    command: ["sleep", "3600"]',
      '    restart: unless-stopped',
      '    stop_grace_period: 1s',
      '    environment:',
      '      APP_ENV: prod',
      `      LOG_LEVEL: ${['info', 'warn', 'debug'][i % 3]}`,
      `      WORKERS: "${(i % 16) + 1}"`,
      '    labels:',
      `      team: ${TEAMS[i % TEAMS.length]}`,
      `      release: "1.${i}.0"`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Writes the project into `dir`; returns the compose file's path. */
export function writeComposeProject(dir, count) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, composeFile(count));
  return file;
}

/**
 * The project's containers as sorted "id startedAt restarts" lines: equal before and after an
 * `up -d` exactly when it created, recreated and restarted nothing.
 */
export function projectContainers(project) {
  const ids = tryRun('docker', [
    'ps',
    '-aq',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${project}`,
  ]);
  if (!ids) return [];
  const out = tryRun('docker', [
    'inspect',
    '--format',
    '{{.Id}} {{.State.StartedAt}} {{.RestartCount}} {{.State.Status}}',
    ...ids.split('\n'),
  ]);
  return (out ?? '').split('\n').filter(Boolean).sort();
}
