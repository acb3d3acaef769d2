// The fleet benchmark's peer: the same containers created and started directly through the
// Docker API on the local socket (dockerode), `parallelism` at a time. The containers are
// drover's own, read back from the engine after a drover apply (`containerRecipe`), so both
// sides ask the engine for the same thing: image, command, env, labels, binds, ports, limits,
// restart policy, init and name.

/**
 * The create request that makes a container like the inspected one: what drover's docker driver
 * sets (providers/drivers/docker-spec.ts containerSpec), read back from `docker inspect`.
 */
export function containerRecipe(info) {
  const c = info.Config ?? {};
  const h = info.HostConfig ?? {};
  return prune({
    name: info.Name.replace(/^\//, ''),
    Image: c.Image,
    Cmd: c.Cmd ?? undefined,
    Entrypoint: c.Entrypoint ?? undefined,
    Env: c.Env ?? undefined,
    Labels: c.Labels ?? undefined,
    ExposedPorts: c.ExposedPorts ?? undefined,
    StopSignal: c.StopSignal || undefined,
    StopTimeout: c.StopTimeout ?? undefined,
    HostConfig: prune({
      Binds: h.Binds ?? undefined,
      PortBindings:
        h.PortBindings && Object.keys(h.PortBindings).length ? h.PortBindings : undefined,
      NetworkMode: h.NetworkMode,
      RestartPolicy: h.RestartPolicy,
      Memory: h.Memory || undefined,
      MemoryReservation: h.MemoryReservation || undefined,
      MemorySwap: h.MemorySwap || undefined,
      CpuShares: h.CpuShares || undefined,
      Init: h.Init ?? undefined,
    }),
  });
}

/**
 * What must be equal between two containers for them to count as the same (the recipe without
 * the name, whose alloc id differs run to run on drover's side).
 */
export function comparable(info) {
  const { name: _name, ...rest } = containerRecipe(info);
  return rest;
}

/**
 * Creates and starts every recipe, `parallelism` requests in flight at a time (each one a
 * create, then a start). Resolves to `{ wallMs, createMs: [], startMs: [] }`: the wall time from
 * the first request to the last start's answer, and each container's create and start latency.
 */
export async function createAndStart(docker, recipes, parallelism) {
  const createMs = [];
  const startMs = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;
  const worker = async () => {
    while (next < recipes.length) {
      const recipe = recipes[next++];
      const t0 = process.hrtime.bigint();
      const container = await docker.createContainer(recipe);
      createMs.push(since(t0));
      const t1 = process.hrtime.bigint();
      await container.start();
      startMs.push(since(t1));
    }
  };
  const width = Math.max(1, Math.min(parallelism, recipes.length));
  await Promise.all(Array.from({ length: width }, worker));
  return { wallMs: since(started), createMs, startMs };
}

function prune(o) {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
