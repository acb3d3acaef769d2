/** The conformance suite on the postgres backend with one lock mode, a schema per test. */
import { PostgresStateStore, type PostgresStateOptions } from '../../src/state/postgres/store.js';
import { describeStoreConformance } from './conformance.js';

let n = 0;

export function describePostgresConformance(
  lockMode: 'session' | 'lease',
  url: () => string,
): void {
  let schema = '';
  // A short lease, so that waiting one out stays quick.
  const opts = (): PostgresStateOptions => ({ url: url(), schema, lockMode, leaseMs: 1500 });
  describeStoreConformance({
    name: `postgres (${lockMode} lock)`,
    reset: () => {
      schema = `s${process.pid}_${++n}`;
    },
    store: (o = {}) => new PostgresStateStore({ ...opts(), lockPollMs: 20, ...o }),
    spec: () => JSON.stringify({ backend: 'postgres', ...opts() }),
    deadHolder:
      lockMode === 'session'
        ? 'its connection to PostgreSQL is gone'
        : 'its lease expired without being renewed',
  });
}
