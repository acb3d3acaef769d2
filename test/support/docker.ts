// Helpers for integration tests on the local Docker engine that scripts/test-hosts.sh prepares.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const TEST_IMAGE_V1 = 'drover-test/busybox:v1';
export const TEST_IMAGE_V2 = 'drover-test/busybox:v2';
export const SETUP_HINT = 'run `bash scripts/test-hosts.sh` (as root) to set up the test hosts';

/** A client for the local engine; the timeout keeps a hung engine from hanging a test. */
export function localDocker(): Docker {
  return new Docker({ socketPath: DOCKER_SOCKET, timeout: 10_000 });
}

/** Whether the engine answers `/_ping`. */
export async function dockerAvailable(docker: Docker = localDocker()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Throws, naming the setup script, unless the engine answers and both test images are current. */
export async function ensureTestImages(docker: Docker = localDocker()): Promise<void> {
  if (!(await dockerAvailable(docker))) {
    throw new Error(`Docker engine at ${DOCKER_SOCKET} does not answer: ${SETUP_HINT}`);
  }
  await ensureCurrentImages(docker, '');
}

const TEST_HOSTS = fileURLToPath(new URL('../../scripts/test-hosts.sh', import.meta.url));
const expectedComments = new Map<string, string>();

/**
 * The comment this checkout's scripts/test-hosts.sh builds `image` with: a hash of what went
 * into it (a comment, not a label, because containers inherit an image's labels).
 */
function expectedComment(image: string): string {
  let comment = expectedComments.get(image);
  if (comment === undefined) {
    const tag = image.slice(image.lastIndexOf(':') + 1);
    comment = execFileSync('bash', [TEST_HOSTS, '--image-label', tag], { encoding: 'utf8' }).trim();
    expectedComments.set(image, comment);
  }
  return comment;
}

/**
 * Throws unless both test images are in the engine (Docker, or podman through its Docker API)
 * and carry the content comment this checkout builds: an image from an older build (one without
 * `env`, `kill` or `ps`, say) would otherwise fail tests with a bare exit code 126 or 127.
 */
export async function ensureCurrentImages(engine: Docker, where: string): Promise<void> {
  for (const image of [TEST_IMAGE_V1, TEST_IMAGE_V2]) {
    let has: string;
    try {
      has = (await engine.getImage(image).inspect()).Comment;
    } catch {
      throw new Error(`test image ${image} is missing${where}: ${SETUP_HINT}`);
    }
    const wanted = expectedComment(image);
    if (has !== wanted)
      throw new Error(
        `test image ${image}${where} is out of date (it says "${has}", this checkout builds "${wanted}"): ${SETUP_HINT}`,
      );
  }
}

/** Force-removes every container carrying `label` (`key` or `key=value`); returns how many. */
export async function removeContainersByLabel(
  label: string,
  docker: Docker = localDocker(),
): Promise<number> {
  const containers = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [label] }),
  });
  await Promise.all(
    containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })),
  );
  return containers.length;
}
