import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dockerodeClass } from '../../providers/transports/dockerode.js';

const require = createRequire(import.meta.url);
const grpcLoaded = () => Object.keys(require.cache).some((k) => k.includes('/@grpc/'));

describe('dockerodeClass', () => {
  it('loads dockerode without gRPC, which loads the first time a build session is used', () => {
    const Docker = dockerodeClass();
    expect(typeof Docker.prototype.createContainer).toBe('function');
    expect(grpcLoaded()).toBe(false);
    // What dockerode's buildImage calls: the stand-in hands over to the real module.
    const withSession = require('dockerode/lib/session.js') as (...args: unknown[]) => unknown;
    expect(typeof withSession).toBe('function');
    expect(withSession.length).toBeGreaterThan(0);
    expect(grpcLoaded()).toBe(true);
  });
});
