// Helpers for integration tests on the local podman API service that scripts/test-hosts.sh
// starts (`podman system service` on /run/podman/podman.sock, the test images loaded).
import Docker from 'dockerode';
import { SETUP_HINT, ensureCurrentImages } from './docker.js';

export const PODMAN_SOCKET = '/run/podman/podman.sock';

/** A Docker API client for podman's socket; the timeout keeps a hung service from hanging a test. */
export function localPodman(): Docker {
  return new Docker({ socketPath: PODMAN_SOCKET, timeout: 15_000 });
}

/** Throws, naming the setup script, unless podman answers and both test images are current in its store. */
export async function ensurePodmanImages(podman: Docker = localPodman()): Promise<void> {
  try {
    await podman.ping();
  } catch {
    throw new Error(`podman's API at ${PODMAN_SOCKET} does not answer: ${SETUP_HINT}`);
  }
  await ensureCurrentImages(podman, " in podman's store");
}

/** Force-removes every podman container carrying `label` (`key=value`); returns how many. */
export async function removePodmanContainers(
  label: string,
  podman: Docker = localPodman(),
): Promise<number> {
  const containers = await podman.listContainers({
    all: true,
    filters: JSON.stringify({ label: [label] }),
  });
  await Promise.all(
    containers.map((c) => podman.getContainer(c.Id).remove({ force: true, v: true })),
  );
  return containers.length;
}
