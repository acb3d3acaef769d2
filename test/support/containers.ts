// Helpers the docker and podman driver tests share: a container count by name on an engine,
// a writable that collects text, and an HTTP GET that waits for the server to come up.
import { Writable } from 'node:stream';
import type Docker from 'dockerode';

/** Containers named `name` on the engine, running or not (podman's names lack Docker's `/`). */
export async function containersNamed(engine: Docker, name: string): Promise<number> {
  const list = await engine.listContainers({
    all: true,
    filters: JSON.stringify({ name: [`^/?${name}$`] }),
  });
  return list.length;
}

/** A writable that keeps what is written, as text. */
export function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** The body of `GET /` on 127.0.0.1:`port`, retried for up to 2.5 s while nothing listens. */
export async function httpGet(port: number): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      return await res.text();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw last;
}
