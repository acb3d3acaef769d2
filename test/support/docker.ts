// Helpers for integration tests on the local Docker engine that scripts/test-hosts.sh prepares.
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

/** Throws, naming the setup script, unless the engine answers and both test images exist. */
export async function ensureTestImages(docker: Docker = localDocker()): Promise<void> {
  if (!(await dockerAvailable(docker))) {
    throw new Error(`Docker engine at ${DOCKER_SOCKET} does not answer: ${SETUP_HINT}`);
  }
  for (const image of [TEST_IMAGE_V1, TEST_IMAGE_V2]) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new Error(`test image ${image} is missing: ${SETUP_HINT}`);
    }
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
