/**
 * An engine's image store (docker save / docker load through the Docker API) on the real local
 * Docker engine and podman service: a whole tar loads under the task's name with the same id;
 * a tar cut short, or one whose source breaks off, leaves nothing that passes for the image.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DockerImageStore,
  loadError,
  splitReference,
} from '../../providers/drivers/docker-images.js';
import { TEST_IMAGE_V1, ensureTestImages, localDocker } from '../support/docker.js';
import { ensurePodmanImages, localPodman } from '../support/podman.js';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `drover-test-ship/store:${RUN}`;
const LOADED = `drover-test-ship/loaded:${RUN}`;
const buildDir = mkdtempSync(join(tmpdir(), 'drover-image-store-'));
const docker = new DockerImageStore(localDocker());
const podman = new DockerImageStore(localPodman());
let id = '';
let size = 0;

/** The first `limit` bytes of `source`, then a clean end (a tar cut short). */
function firstBytes(source: Readable, limit: number): Readable {
  let seen = 0;
  const cut = new Transform({
    transform(chunk: Buffer, _enc, next) {
      const room = limit - seen;
      seen += chunk.length;
      if (room > 0) this.push(chunk.subarray(0, room));
      if (seen >= limit) {
        this.push(null);
        source.destroy();
      }
      next();
    },
  });
  return source.pipe(cut);
}

beforeAll(async () => {
  await ensureTestImages();
  await ensurePodmanImages();
  writeFileSync(join(buildDir, 'Dockerfile'), `FROM ${TEST_IMAGE_V1}\nRUN echo ${RUN} > /stored\n`);
  execFileSync('docker', ['build', '-q', '-t', IMAGE, buildDir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    stdio: 'pipe',
  });
  const facts = await docker.inspect(IMAGE);
  id = facts!.id;
  size = facts!.size;
}, 60_000);

afterAll(async () => {
  for (const engine of [localDocker(), localPodman()])
    for (const ref of [IMAGE, LOADED, id])
      await engine
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
  rmSync(buildDir, { recursive: true, force: true });
});

describe('splitReference and loadError', () => {
  it('splits a reference into repository and tag, Docker’s latest by default', () => {
    expect(splitReference('app:dev')).toEqual({ repo: 'app', tag: 'dev' });
    expect(splitReference('app')).toEqual({ repo: 'app', tag: 'latest' });
    expect(splitReference('reg:5000/team/app')).toEqual({
      repo: 'reg:5000/team/app',
      tag: 'latest',
    });
    expect(splitReference('reg:5000/app:1.2')).toEqual({ repo: 'reg:5000/app', tag: '1.2' });
  });

  it('finds the error a load response reports among its progress lines', () => {
    expect(loadError('{"stream":"Loaded image ID: sha256:ab\\n"}\n')).toBeUndefined();
    expect(
      loadError(
        '{"stream":"x"}\n{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\n',
      ),
    ).toBe('unexpected EOF');
    expect(loadError('Loaded image: localhost/app:dev\n')).toBeUndefined();
  });
});

describe('DockerImageStore on real engines', { timeout: 60_000 }, () => {
  it('inspects an image by name and by id; a missing one is undefined', async () => {
    expect(size).toBeGreaterThan(0);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await docker.inspect(id)).toEqual({ id, size, architecture: 'amd64' });
    expect(await docker.inspect(`drover-test-ship/none:${RUN}`)).toBeUndefined();
  });

  it('refuses a tar cut short: podman has nothing under the name or the id afterwards', async () => {
    const tar = firstBytes(await docker.save(id), Math.floor(size / 2));
    await expect(podman.load(tar, id, LOADED)).rejects.toThrow();
    expect(await podman.inspect(LOADED)).toBeUndefined();
    expect(await podman.inspect(id)).toBeUndefined();
  });

  it('refuses a tar whose source breaks off, when the upload is aborted with it', async () => {
    const source = await docker.save(id);
    const abort = new AbortController();
    let seen = 0;
    const breaking = source.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, next) {
          seen += chunk.length;
          if (seen > size / 3) {
            const err = new Error('the local engine went away');
            abort.abort(err);
            next(err);
            return;
          }
          next(null, chunk);
        },
      }),
    );
    await expect(podman.load(breaking, id, LOADED, abort.signal)).rejects.toThrow();
    source.destroy();
    expect(await podman.inspect(LOADED)).toBeUndefined();
  });

  it('loads a whole tar streamed from Docker into podman under the task’s name, same id', async () => {
    await podman.load(await docker.save(id), id, LOADED);
    expect(await podman.inspect(LOADED)).toMatchObject({ id });
    await podman.tag(id, `${LOADED}-again`);
    expect(await podman.inspect(`${LOADED}-again`)).toMatchObject({ id });
    await localPodman()
      .getImage(`${LOADED}-again`)
      .remove()
      .catch(() => undefined);
  });

  it('the other way round: Docker refuses podman’s tar cut short, then loads it whole', async () => {
    await localDocker().getImage(IMAGE).remove({ force: true });
    expect(await docker.inspect(id)).toBeUndefined();
    const cut = firstBytes(await podman.save(id), Math.floor(size / 2));
    await expect(docker.load(cut, id, IMAGE)).rejects.toThrow();
    expect(await docker.inspect(IMAGE)).toBeUndefined();
    expect(await docker.inspect(id)).toBeUndefined();
    await docker.load(await podman.save(id), id, IMAGE);
    expect(await docker.inspect(IMAGE)).toEqual({ id, size, architecture: 'amd64' });
  });

  it('refuses to name an image the engine does not have', async () => {
    await expect(docker.tag(`sha256:${'0'.repeat(64)}`, LOADED)).rejects.toThrow();
  });
});
