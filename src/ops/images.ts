/**
 * Images without a registry: the image of a docker or podman task that its node's engine lacks
 * and an engine on the machine running drover has is copied there over the node's transport
 * (`docker save` streamed into `docker load`). A plan looks at both sides and lists every copy
 * (and every image the node has to pull); apply copies what the plan lists, once per node,
 * engine and image id, before the job whose allocations run it starts.
 */
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Driver, ImageFacts, ImageStore } from '../../providers/types.js';
import type { ProgressEvent } from '../deploy/apply.js';
import { planToSteps } from '../deploy/from-plan.js';
import type { JobSteps } from '../deploy/steps.js';
import { interpolateDeep, taskEnv } from '../deploy/taskenv.js';
import type { ImageTransfer, Plan, PlanWarning } from '../generated/plan.js';
import { formatBytes, shortId, withImageTransfers } from '../plan/images.js';
import type { StateSnapshot } from '../state/types.js';
import type { EngineContext } from './context.js';
import { nodeFacts } from './observe.js';

/** An image some new allocations on a node run, in the engine of one driver. */
export interface ImageNeed {
  node: string;
  /** The task driver (docker, podman): whose engine on the node runs the image. */
  driver: string;
  image: string;
  /** The jobs whose allocations run it there, sorted. */
  jobs: string[];
}

/** What copying needs of the engine context. */
type ImageContext = Pick<EngineContext, 'drivers' | 'nodes' | 'transport' | 'imageSource'>;

/**
 * The images the plan's new allocations run, per node and driver, after interpolation against
 * the node and allocation as apply does it. Images pulled on every start (`force_pull`) and
 * images named by digest (`app@sha256:…`, which only a registry can serve) are left to the
 * node. Pure but for the transports' addresses.
 */
export function imageNeeds(
  plan: Plan,
  ctx: Pick<ImageContext, 'drivers' | 'nodes' | 'transport'>,
  state: StateSnapshot,
): ImageNeed[] {
  const needs = new Map<string, ImageNeed>();
  // Only jobs that place allocations with container tasks are turned into steps (decoded).
  const placing = plan.jobs.filter(
    (j) =>
      j.groups.some((g) => g.placements.length + (g.reschedules?.length ?? 0) > 0) &&
      runsContainers(j, ctx),
  );
  if (placing.length === 0) return [];
  for (const job of planToSteps({ ...plan, jobs: placing }, ctx.nodes)) {
    if (!job.job) continue;
    for (const { image, node, driver } of placedImages(job, ctx, state)) {
      const key = `${node}\0${driver}\0${image}`;
      const need = needs.get(key) ?? { node, driver, image, jobs: [] };
      if (!need.jobs.includes(job.jobId)) need.jobs = [...need.jobs, job.jobId].sort();
      needs.set(key, need);
    }
  }
  return [...needs.values()];
}

/** Whether a planned job names a driver that runs images (by the task drivers in its payload). */
function runsContainers(job: Plan['jobs'][number], ctx: Pick<ImageContext, 'drivers'>): boolean {
  const groups = (job.payload?.job as { group?: { task?: { driver?: unknown }[] }[] } | undefined)
    ?.group;
  return (groups ?? []).some((g) =>
    (g.task ?? []).some(
      (t) => typeof t.driver === 'string' && ctx.drivers.get(t.driver)?.taskImage !== undefined,
    ),
  );
}

function* placedImages(
  job: JobSteps,
  ctx: Pick<ImageContext, 'drivers' | 'nodes' | 'transport'>,
  state: StateSnapshot,
): Generator<{ image: string; node: string; driver: string }> {
  for (const g of job.groups) {
    if (!g.group) continue;
    for (const p of g.placements.values()) {
      const node = ctx.nodes.get(p.node);
      if (!node) continue;
      const facts = nodeFacts(state, node);
      for (const task of g.group.task) {
        const driver = ctx.drivers.get(task.driver);
        if (!driver?.taskImage || !driver.imageStore) continue;
        const env = taskEnv({
          job: job.job!,
          group: g.group,
          task,
          allocId: p.allocId,
          allocIndex: p.index,
          nodeName: node.name,
          datacenter: node.datacenter,
          hostAddress: ctx.transport(node).hostAddress(),
          ports: p.ports,
          dirs: { allocDir: '/alloc', taskDir: '/local', secretsDir: '/secrets' },
          mapsPorts: true,
          node: facts,
        });
        const wanted = driver.taskImage(interpolateDeep(task.config ?? {}, { env, node: facts }));
        if (!wanted || wanted.forcePull || wanted.image.includes('@')) continue;
        yield { image: wanted.image, node: node.name, driver: driver.name };
      }
    }
  }
}

/**
 * The plan with `images` filled in: for every image a node's engine lacks, a copy from the first
 * engine on this machine that has it (the task driver's own first), or a pull by the node. An
 * image built for another architecture than the node's is not copied (a warning says so). A node
 * whose engine does not answer is left out: its tasks fail to start as they would have.
 */
export async function planImages(
  ctx: ImageContext,
  plan: Plan,
  state: StateSnapshot,
): Promise<Plan> {
  const source = ctx.imageSource;
  if (!source) return plan;
  const needs = imageNeeds(plan, ctx, state);
  if (needs.length === 0) return plan;
  const local = new Lookups();
  const remote = new Lookups();
  const warnings: PlanWarning[] = [];
  const transfers = await Promise.all(
    needs.map(async (need): Promise<ImageTransfer | undefined> => {
      const driver = ctx.drivers.get(need.driver)!;
      const node = ctx.nodes.get(need.node)!;
      const there = await remote
        .inspect(
          `${need.node}\0${need.driver}`,
          () => driver.imageStore!(ctx.transport(node)),
          need.image,
        )
        .catch(() => 'unknown' as const);
      if (there !== undefined) return undefined;
      const base = {
        image: need.image,
        node: need.node,
        engine: engineName(need.driver),
        jobs: need.jobs,
      };
      for (const d of sourceDrivers(ctx, need.driver)) {
        // An engine that does not answer here (no podman on this machine) has nothing to give.
        const here = await local
          .inspect(d.name, () => d.imageStore!(source), need.image)
          .catch(() => undefined);
        if (here === undefined) continue;
        const nodeArch = state.nodes[need.node]?.fingerprint?.attributes['cpu.arch'];
        if (here.architecture && nodeArch && here.architecture !== nodeArch) {
          warnings.push({
            summary: `image "${need.image}" is not copied to node "${need.node}"`,
            detail: `The image on this machine is built for ${here.architecture}; node "${need.node}" is ${nodeArch}, so it pulls the image instead.`,
          });
          return { action: 'pull', ...base };
        }
        return {
          action: 'copy',
          ...base,
          source: engineName(d.name),
          id: here.id,
          size: here.size,
        };
      }
      return { action: 'pull', ...base };
    }),
  );
  const listed = transfers.filter((t) => t !== undefined);
  if (listed.length === 0 && warnings.length === 0) return plan;
  return withImageTransfers({ ...plan, warnings: [...plan.warnings, ...warnings] }, listed);
}

/** The container drivers whose engines on this machine may hold an image: `first`'s, then the others'. */
function sourceDrivers(ctx: Pick<ImageContext, 'drivers'>, first: string): Driver[] {
  const all = ctx.drivers
    .all()
    .filter((d) => d.imageStore !== undefined && d.taskImage !== undefined);
  return [...all.filter((d) => d.name === first), ...all.filter((d) => d.name !== first)];
}

function engineName(driver: string): ImageTransfer['engine'] {
  return driver === 'podman' ? 'podman' : 'docker';
}

/** Image look-ups in engines, each image asked once per engine. */
class Lookups {
  private readonly stores = new Map<string, Promise<ImageStore>>();
  private readonly answers = new Map<string, Promise<ImageFacts | undefined>>();

  inspect(
    engine: string,
    open: () => Promise<ImageStore>,
    image: string,
  ): Promise<ImageFacts | undefined> {
    const key = `${engine}\0${image}`;
    let answer = this.answers.get(key);
    if (!answer) {
      let store = this.stores.get(engine);
      if (!store) this.stores.set(engine, (store = open()));
      answer = store.then((s) => s.inspect(image));
      this.answers.set(key, answer);
    }
    return answer;
  }
}

// ---------------------------------------------------------------------------------------------
// Apply

/** How often a copy in progress says how far it got. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * Copies the plan's images for one job, before its steps: each at most once per apply (`done`
 * is shared by the apply's jobs), none when the node has the image id already (it is only
 * named). Throws, naming the image and the node, when a copy fails; a load that did not finish
 * leaves no image under the task's name (`ImageStore.load` checks the id it ends up with).
 */
export async function copyPlannedImages(
  ctx: ImageContext,
  plan: Plan,
  jobId: string,
  progress: (ev: ProgressEvent) => void,
  done: Map<string, Promise<void>>,
): Promise<void> {
  const copies = (plan.images ?? []).filter((i) => i.action === 'copy' && i.jobs.includes(jobId));
  await Promise.all(
    copies.map((copy) => {
      const key = `${copy.node}\0${copy.engine}\0${copy.image}\0${copy.id}`;
      let running = done.get(key);
      if (!running) {
        running = copyImage(ctx, copy, (ev) =>
          progress({ kind: 'job', job: jobId, ...ev, step: { part: 'job', job: jobId } }),
        );
        done.set(key, running);
      }
      return running;
    }),
  );
}

async function copyImage(
  ctx: ImageContext,
  copy: ImageTransfer,
  say: (ev: { status: string; detail: string }) => void,
): Promise<void> {
  const id = copy.id ?? '';
  const what = `image "${copy.image}" (${shortId(id)})`;
  const fail = (why: string, cause?: unknown): Error =>
    new Error(`cannot copy ${what} to node "${copy.node}": ${why}`, { cause });
  const node = ctx.nodes.get(copy.node);
  const target = ctx.drivers.get(copy.engine);
  const from = ctx.drivers.get(copy.source ?? 'docker');
  if (!ctx.imageSource)
    throw fail(
      'copying images from this machine is off here (drover.hcl: images { ship = false }); plan again',
    );
  if (!id || !node || !target?.imageStore || !from?.imageStore)
    throw fail(`the plan names a node or engine this drover does not have; plan again`);
  const there = await target.imageStore(ctx.transport(node)).catch((err: unknown) => {
    throw fail(`its ${copy.engine} engine does not answer: ${message(err)}`, err);
  });
  const [byName, byId] = await Promise.all([there.inspect(copy.image), there.inspect(id)]).catch(
    (err: unknown) => {
      throw fail(`its ${copy.engine} engine does not answer: ${message(err)}`, err);
    },
  );
  if (byName?.id === copy.id) return;
  if (byId) {
    // The node has these very bytes under another name (or none): naming them is enough.
    await there.tag(id, copy.image).catch((err: unknown) => {
      throw fail(`naming the image on the node failed: ${message(err)}`, err);
    });
    say({ status: 'image named', detail: `${what} was on node ${copy.node} already` });
    return;
  }
  const here = await from.imageStore(ctx.imageSource);
  const local = await here.inspect(copy.image).catch((err: unknown) => {
    throw fail(`the ${copy.source} engine on this machine does not answer: ${message(err)}`, err);
  });
  if (!local) throw fail(`the ${copy.source} engine on this machine no longer has it`);
  if (local.id !== copy.id)
    throw fail(
      `the ${copy.source} engine on this machine now has ${shortId(local.id)} under that name, not the image the plan copies: plan again`,
    );
  const size = formatBytes(copy.size ?? local.size);
  say({ status: 'copying image', detail: `${what}, ${size}, to node ${copy.node}` });
  const started = Date.now();
  let sent = 0;
  let told = started;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, next) {
      sent += chunk.length;
      const now = Date.now();
      if (now - told >= PROGRESS_EVERY_MS) {
        told = now;
        say({
          status: 'copying image',
          detail: `${copy.image} to node ${copy.node}: ${formatBytes(sent)} of ${size} sent`,
        });
      }
      next(null, chunk);
    },
  });
  const abort = new AbortController();
  let tar: Readable;
  try {
    tar = await here.save(id);
  } catch (err) {
    throw fail(`the ${copy.source} engine on this machine cannot export it: ${message(err)}`, err);
  }
  // A source that breaks off mid-way aborts the upload: the node's engine then refuses the
  // truncated tar rather than waiting for the rest.
  const reading = pipeline(tar, counter).catch((err: unknown) => {
    abort.abort(err);
    throw err;
  });
  try {
    await Promise.all([there.load(counter, id, copy.image, abort.signal), reading]);
  } catch (err) {
    // Whichever side failed, the other stops: no export left streaming into nothing.
    tar.destroy();
    counter.destroy();
    const cause: unknown = abort.signal.aborted ? abort.signal.reason : err;
    throw fail(
      `${abort.signal.aborted ? 'reading it on this machine' : `loading it into the node's ${copy.engine} engine`} failed after ${formatBytes(sent)}: ${message(cause)}`,
      cause,
    );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say({
    status: 'image copied',
    detail: `${what}, ${formatBytes(sent)}, to node ${copy.node} in ${seconds}s`,
  });
}

/**
 * What the docker driver adds when a node cannot pull an image the plan found nowhere here
 * either: per node, the images the plan lists as pulls.
 */
export function pullNotes(plan: Plan): (node: string, image: string) => string | undefined {
  const pulls = new Set(
    (plan.images ?? []).filter((i) => i.action === 'pull').map((i) => `${i.node}\0${i.image}`),
  );
  return (node, image) =>
    pulls.has(`${node}\0${image}`)
      ? 'nor in an engine of the machine running drover, so it could not be copied from there'
      : undefined;
}

function message(err: unknown): string {
  const e = err as { json?: { message?: unknown }; message?: unknown } | null;
  const inner = e?.json?.message;
  if (typeof inner === 'string' && inner !== '') return inner;
  return typeof e?.message === 'string' ? e.message : String(err);
}
