/**
 * The dockerode client class, loaded without its BuildKit session support until something uses
 * it. dockerode's entry requires `lib/session.js` at once, which loads gRPC and protobufjs (about
 * 120 modules, some 80 ms of every drover command that talks to Docker) for `buildImage` with
 * BuildKit, which drover never calls. That one module is stood in for by a proxy that loads the
 * real one the first time it is called or read, so dockerode behaves exactly as before.
 */
import Module, { createRequire } from 'node:module';
import type Docker from 'dockerode';

const require = createRequire(import.meta.url);
let client: typeof Docker | undefined;

export function dockerodeClass(): typeof Docker {
  client ??= load();
  return client;
}

function load(): typeof Docker {
  const sessionPath = require.resolve('dockerode/lib/session.js');
  if (!require.cache[sessionPath]) {
    let real: ((...args: unknown[]) => unknown) | undefined;
    const session = (): ((...args: unknown[]) => unknown) => {
      if (!real) {
        delete require.cache[sessionPath];
        real = require(sessionPath) as (...args: unknown[]) => unknown;
      }
      return real;
    };
    const stand = new Module(sessionPath);
    stand.filename = sessionPath;
    stand.loaded = true;
    stand.exports = new Proxy(function withSession() {}, {
      apply: (_target, self, args: unknown[]) => Reflect.apply(session(), self, args),
      get: (_target, key) => Reflect.get(session(), key) as unknown,
    });
    require.cache[sessionPath] = stand;
  }
  return require('dockerode') as typeof Docker;
}
