/** A state store whose writes are timed into the server's metrics (`state.write_duration`). */
import type { StateStore } from '../../state/store.js';
import type { Metrics } from '../types.js';
import { METRICS } from './names.js';

const TIMED = new Set<PropertyKey>(['write', 'replace']);

export function timedWrites(store: StateStore, metrics: Metrics): StateStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!TIMED.has(prop)) return method.bind(target);
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await method.apply(target, args);
        } finally {
          metrics.sample(METRICS.stateWriteLatency, performance.now() - started, {
            operation: String(prop),
          });
        }
      };
    },
  });
}
