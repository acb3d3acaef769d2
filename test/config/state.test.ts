/** drover.hcl's state block: the postgres backend's settings and the diagnostics of bad ones. */
import { describe, expect, it } from 'vitest';
import { loadTestConfig, positioned } from './support.js';

function load(source: string) {
  const { config, diags } = loadTestConfig(source);
  return { config, found: positioned(diags), diags };
}

describe('the state block', () => {
  it('reads the postgres backend with its defaults', () => {
    const { config, found } = load(
      'state {\n  backend = "postgres"\n  url     = "postgres://drover@db:5432/fleet"\n}\n',
    );
    expect(found).toEqual([]);
    expect(config?.state).toEqual({
      backend: 'postgres',
      path: '/proj/.drover/state.json',
      url: 'postgres://drover@db:5432/fleet',
      schema: 'drover',
      lockMode: 'session',
    });
  });

  it('leaves the url out for the PG* variables, and takes a schema and the lease lock', () => {
    const { config, found } = load(
      'state {\n  backend   = "postgres"\n  schema    = "fleet_prod"\n  lock_mode = "lease"\n}\n',
    );
    expect(found).toEqual([]);
    expect(config?.state).toMatchObject({
      backend: 'postgres',
      schema: 'fleet_prod',
      lockMode: 'lease',
    });
    expect(config?.state.url).toBeUndefined();
  });

  it('refuses a password in the url, at its place, without repeating it', () => {
    const { config, found, diags } = load(
      'state {\n  backend = "postgres"\n  url     = "postgres://drover:hunter2@db/fleet"\n}\n',
    );
    expect(config).toBeUndefined();
    expect(found).toEqual([['error', 'Password in the state URL', 3, 13]]);
    const detail = diags.items[0]?.detail ?? '';
    expect(detail).toContain('PGPASSWORD');
    expect(detail).toContain('~/.pgpass');
    expect(JSON.stringify(diags.items)).not.toContain('hunter2');
  });

  it.each([
    ['a url of another scheme', 'url = "mysql://db/fleet"', 'Invalid value for "url"', 3, 9],
    [
      'a schema that is no identifier',
      'schema = "Drop Table"',
      'Invalid value for "schema"',
      3,
      12,
    ],
    ['an unknown lock mode', 'lock_mode = "advisory"', 'Invalid value for "lock_mode"', 3, 15],
  ])('reports %s at its place', (_case, line, summary, l, c) => {
    const { config, found } = load(`state {\n  backend = "postgres"\n  ${line}\n}\n`);
    expect(config).toBeUndefined();
    expect(found).toEqual([['error', summary, l, c]]);
  });

  it('warns of arguments the backend does not read', () => {
    const local = load('state {\n  url = "postgres://db/fleet"\n}\n');
    expect(local.found).toEqual([['warning', 'Argument has no effect', 2, 3]]);
    const pg = load('state {\n  backend = "postgres"\n  path    = "s.json"\n}\n');
    expect(pg.found).toEqual([['warning', 'Argument has no effect', 3, 3]]);
  });
});
