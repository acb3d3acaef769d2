/**
 * An ACL write is seen by the very next request on the same server: the token a bootstrap made
 * is found at once, though the server reads the state from a cache that its change feed (a
 * file watch here, LISTEN/NOTIFY on PostgreSQL) marks stale only later. Seen on PostgreSQL by
 * the reliability suite as "ACL token not found" right after POST /v1/acl/bootstrap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../../src/server/acl/index.js';
import { aclOf, hashSecret, newSecret, withBootstrap } from '../../../src/server/acl/state.js';
import { tokenFromRequest } from '../../../src/server/acl/nomad.js';
import { aclWrite } from '../../../src/server/acl/write.js';
import { createServerContext } from '../../../src/server/context.js';
import type { ChangeFeed } from '../../../src/server/changes.js';
import { emptyEventHub } from '../../../src/server/run.js';
import { testServerContext, type TestServerContext } from '../core/support.js';

/** A change feed that reports only when told: a notification still on its way. */
function lateFeed(): ChangeFeed & { deliver(): void } {
  let signal: (() => void) | undefined;
  return {
    start: (s) => void (signal = s),
    stop: () => Promise.resolve(),
    deliver: () => signal?.(),
  };
}

let t: TestServerContext | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('ACL writes and the server cache', () => {
  it('a token made by a bootstrap is found by the next request', async () => {
    t = await testServerContext({ feed: false });
    const feed = lateFeed();
    const base = t.context;
    const ctx = createServerContext({
      settings: { ...base.settings, acl: { ...base.settings.acl, enabled: true } },
      engine: base.engine,
      events: emptyEventHub,
      metrics: base.metrics,
      log: base.log,
      changes: feed,
    });
    const auth = createAuthorizer(ctx);
    // The cache is warm and, for the feed, up to date: the next read would be served from it.
    await auth.identify(undefined);
    for (let i = 0; i < 5; i++) {
      const secret = newSecret();
      await aclWrite(ctx, { name: 'test' }, 'acl bootstrap', (state) => {
        const token = tokenFromRequest(
          { Name: `token ${i}`, Type: 'management', Global: true },
          {
            policies: {},
            acl: aclOf(state),
            now: Date.now(),
            serial: state.serial + 1,
            secretHash: hashSecret(secret),
          },
        );
        return { state: withBootstrap(state, token), result: token, detail: 'bootstrap' };
      });
      const who = await auth.identify(secret);
      expect(who.actor.name).toBe(`token ${i}`);
      feed.deliver();
    }
    await ctx.close();
  });
});
