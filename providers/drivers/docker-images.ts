/**
 * One engine's images through its Docker API (Docker's, or podman's compatible one): what
 * copying an image from the machine running drover to a node needs, without a registry.
 * `save` is `docker save` (GET /images/{id}/get) and `load` is `docker load` (POST /images/load)
 * followed by a tag, both streamed: the tar never sits whole in memory.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ImageFacts, ImageStore } from '../types.js';

export class DockerImageStore implements ImageStore {
  constructor(private readonly docker: Docker) {}

  async inspect(ref: string): Promise<ImageFacts | undefined> {
    let info: Docker.ImageInspectInfo;
    try {
      info = await this.docker.getImage(ref).inspect();
    } catch (err) {
      if ((err as { statusCode?: unknown }).statusCode === 404) return undefined;
      throw err;
    }
    return {
      id: info.Id.startsWith('sha256:') ? info.Id : `sha256:${info.Id}`,
      size: info.Size,
      ...(info.Architecture ? { architecture: info.Architecture } : {}),
    };
  }

  async save(id: string): Promise<Readable> {
    return (await this.docker.getImage(id).get()) as Readable;
  }

  async load(tar: Readable, id: string, ref: string, signal?: AbortSignal): Promise<void> {
    const response = (await this.docker.loadImage(tar, {
      ...(signal ? { abortSignal: signal } : {}),
    })) as Readable;
    // The engine answers 200 and reports a failed load as a message in the body.
    const refusal = loadError(await readText(response));
    if (refusal !== undefined) throw new Error(`the engine refused the image: ${refusal}`);
    // Loaded by id (the tar of `save(id)` names no tag): the name the task runs is given here.
    await this.tag(id, ref);
  }

  async tag(id: string, ref: string): Promise<void> {
    await this.docker.getImage(id).tag(splitReference(ref));
    const now = await this.inspect(ref);
    if (now?.id !== id)
      throw new Error(
        `after the load the engine has ${now ? `${now.id} under that name` : 'no image by that name'}, not ${id}`,
      );
  }
}

/** The first error a `docker load` response (JSON lines) reports; undefined when none. */
export function loadError(body: string): string | undefined {
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    let message: { error?: unknown; errorDetail?: { message?: unknown } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue; // podman and older engines may answer plain text lines
    }
    const error = message.errorDetail?.message ?? message.error;
    if (typeof error === 'string' && error !== '') return error;
  }
  return undefined;
}

/**
 * `repo[:tag]` as the engine's tag endpoint takes it: Docker's default tag `latest` when none
 * is given (a `:` inside the registry host's port is not a tag).
 */
export function splitReference(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
