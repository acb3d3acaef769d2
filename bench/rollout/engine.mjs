// The Docker engine both sides of the rollout benchmark work on: checks that it answers and has
// the test images, reads which containers a job runs, and removes what the benchmark made.
import Docker from 'dockerode';
import { IMAGE, TAGS } from './project.mjs';

/** The local engine (DOCKER_HOST or /var/run/docker.sock, as the docker CLI finds it). */
export function connect() {
  return new Docker();
}

/** Why the benchmark cannot run on this engine, or undefined when it can. */
export async function engineProblem(docker) {
  try {
    await docker.ping();
  } catch {
    return 'no Docker engine answers (run: bash scripts/test-hosts.sh)';
  }
  for (const tag of TAGS) {
    try {
      await docker.getImage(`${IMAGE}:${tag}`).inspect();
    } catch {
      return `image ${IMAGE}:${tag} is missing (run: bash scripts/test-hosts.sh)`;
    }
  }
  return undefined;
}

/** The running containers labelled `drover.job=<jobId>`, as `{ id, image }`. */
export async function jobContainers(docker, jobId) {
  const list = await docker.listContainers({
    filters: { label: [`drover.job=${jobId}`], status: ['running'] },
  });
  return list.map((c) => ({ id: c.Id, image: c.Image }));
}

/**
 * Checks that the job runs exactly `count` containers of `image` (the rollout really happened);
 * throws otherwise.
 */
export async function expectJobRuns(docker, jobId, count, image) {
  const running = await jobContainers(docker, jobId);
  const right = running.filter((c) => c.image === image).length;
  if (running.length !== count || right !== count) {
    throw new Error(
      `job ${jobId} runs ${running.length} containers, ${right} of them ${image}; expected ${count}`,
    );
  }
}

/** Removes every container, running or not, labelled `drover.job=<jobId>`; returns how many. */
export async function removeJobContainers(docker, jobId) {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`drover.job=${jobId}`] },
  });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  return list.length;
}
