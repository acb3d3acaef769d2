/**
 * Variables in the state: the sealing (AES-256-GCM, path as AAD), Nomad's path and item rules,
 * check-and-set writes and purges, the events they leave (never a value), the reader templates
 * use, and the keyring (environment key, file created 0600 in a 0700 directory, rotation).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyState, serializeState } from '../../src/state/snapshot.js';
import type { StateSnapshot } from '../../src/state/types.js';
import { parseState, schemaProblems } from '../../src/state/validate.js';
import {
  keyIdOf,
  newKeyMaterial,
  openItems,
  sealItems,
  type VariableKey,
} from '../../src/state/variables-crypto.js';
import {
  KeyringError,
  keyringForWriting,
  keyringSource,
  loadKeyring,
  rotateKeyring,
  type Keyring,
} from '../../src/state/variables-keyring.js';
import {
  itemsProblem,
  keyWarning,
  pathProblem,
  sanitizePath,
} from '../../src/state/variables-rules.js';
import {
  VariableConflictError,
  VariableError,
  listVariables,
  loadVariableReader,
  purgeVariable,
  putVariable,
  showableVariables,
  variableReader,
} from '../../src/state/variables.js';

const SECRET = 'hunter2-very-secret';
const LINEAGE = '3f1c1c2e-5b7a-4a51-9e51-3a1ad1a9b0c1';

function key(): VariableKey {
  const material = newKeyMaterial();
  return { id: keyIdOf(material), material };
}

function ringOf(...keys: VariableKey[]): Keyring {
  return {
    where: 'the keyring test',
    keys,
    active: keys[0],
    find: (id) => keys.find((k) => k.id === id),
  };
}

const now = new Date('2026-03-04T05:06:07.123Z');
const put = (
  state: StateSnapshot,
  path: string,
  items: Record<string, string>,
  k: VariableKey,
  extra: { checkIndex?: number; force?: boolean } = {},
) => putVariable(state, { path, items, key: k, now, who: 'u@h', ...extra });

describe('sealing', () => {
  it('opens what it sealed, only at the same path and with the same key', () => {
    const k = key();
    const sealed = sealItems({ password: SECRET }, 'app/db', k);
    expect(sealed.key_id).toBe(k.id);
    expect(Buffer.from(sealed.nonce, 'base64')).toHaveLength(12);
    expect(sealed.data).not.toContain(SECRET);
    expect(Buffer.from(sealed.data, 'base64').toString('latin1')).not.toContain(SECRET);
    expect(openItems(sealed, 'app/db', k)).toEqual({ password: SECRET });
    expect(openItems(sealed, 'app/other', k)).toBeUndefined();
    expect(openItems(sealed, 'app/db', key())).toBeUndefined();
    const flipped = Buffer.from(sealed.data, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(openItems({ ...sealed, data: flipped.toString('base64') }, 'app/db', k)).toBeUndefined();
  });

  it('uses a fresh nonce each time', () => {
    const k = key();
    const a = sealItems({ a: 'b' }, 'p', k);
    const b = sealItems({ a: 'b' }, 'p', k);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.data).not.toBe(b.data);
  });

  it('derives the key id from the key: the same key has the same id everywhere', () => {
    const m = newKeyMaterial();
    expect(keyIdOf(Buffer.from(m))).toBe(keyIdOf(m));
    expect(keyIdOf(newKeyMaterial())).not.toBe(keyIdOf(m));
  });
});

describe("Nomad's rules", () => {
  it.each([
    ['app/db', undefined],
    ['a-b_c~d/e', undefined],
    ['nomad/jobs', undefined],
    ['nomad/jobs/web/app/task', undefined],
    ['nomad/job-templates/tpl', undefined],
    ['nomad', '"nomad" is a reserved top-level directory path'],
    ['nomad/job-templates', '"nomad/job-templates" is a reserved directory path'],
    ['nomad/job-templates/a/b', '"nomad/job-templates" is a reserved directory path'],
    ['nomad/other', 'only paths at "nomad/jobs" or "nomad/job-templates" and below'],
    ['', 'a Variable needs a path'],
    ['has space', 'invalid path "has space"'],
    ['dots.not.allowed', 'invalid path'],
    ['x'.repeat(129), 'invalid path'],
  ])('path %j', (path, problem) => {
    if (problem === undefined) expect(pathProblem(path)).toBeUndefined();
    else expect(pathProblem(path)).toContain(problem);
  });

  it('sanitizes paths as var put does', () => {
    expect(sanitizePath('  /app/db/ ')).toBe('app/db');
  });

  it('refuses empty items and more than 64 KiB, without echoing values', () => {
    expect(itemsProblem({})).toContain('empty variables are invalid');
    expect(itemsProblem({ '': 'v' })).toContain('needs a key');
    const big = itemsProblem({ k: SECRET + 'x'.repeat(65536) });
    expect(big).toContain('64KiB');
    expect(big).not.toContain(SECRET);
    expect(itemsProblem({ k: 'x'.repeat(65535) })).toBeUndefined();
  });

  it('warns about keys templates reach only through index', () => {
    expect(keyWarning('db_password')).toBeUndefined();
    expect(keyWarning('db-pass.word')).toBe(
      `"db-pass.word" contains characters ["-","."] that require the 'index' function for direct access in templates`,
    );
  });
});

describe('writing and purging', () => {
  const k = key();
  const base = emptyState(LINEAGE);

  it('creates with the serial of the write as both indexes, and records an event without values', () => {
    const r = put(base, 'app/db', { password: SECRET }, k);
    expect(r.created).toBe(true);
    expect(r.meta).toEqual({
      Namespace: 'default',
      Path: 'app/db',
      CreateIndex: 1,
      ModifyIndex: 1,
      CreateTime: now.getTime() * 1e6,
      ModifyTime: now.getTime() * 1e6,
    });
    expect(r.state.events.at(-1)).toMatchObject({ what: 'var.put', who: 'u@h' });
    expect(r.state.events.at(-1)!.detail).toContain('app/db');
    expect(serializeState(r.state)).not.toContain(SECRET);
    expect(schemaProblems({ ...r.state, serial: 1 })).toBeUndefined();
  });

  it('is check-and-set: over an existing Variable only with its index or -force', () => {
    const first = put(base, 'app/db', { password: 'a' }, k);
    const s1 = { ...first.state, serial: 1 };
    const e = (() => {
      try {
        put(s1, 'app/db', { password: SECRET }, k);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(VariableConflictError);
    expect((e as Error).message).toContain('the check-index 0 does not match its current index 1');
    expect((e as Error).message).toContain('-check-index=1');
    expect((e as Error).message).not.toContain(SECRET);
    expect(() => put(s1, 'app/db', { password: 'b' }, k, { checkIndex: 7 })).toThrow(
      'the check-index 7 does not match its current index 1',
    );
    const cas = put(s1, 'app/db', { password: 'b' }, k, { checkIndex: 1 });
    expect(cas.created).toBe(false);
    expect(cas.meta).toMatchObject({ CreateIndex: 1, ModifyIndex: 2 });
    const forced = put({ ...cas.state, serial: 2 }, 'app/db', { other: 'c' }, k, { force: true });
    expect(forced.meta.ModifyIndex).toBe(3);
    // put replaces the items, as Nomad's does.
    expect(variableReader(forced.state, ringOf(k)).get('app/db')!.items).toEqual({ other: 'c' });
    // -check-index on a path that holds nothing: 0 creates, anything else conflicts.
    expect(() => put(base, 'new', { a: 'b' }, k, { checkIndex: 3 })).toThrow(VariableConflictError);
  });

  it('refuses bad paths and empty items', () => {
    expect(() => put(base, 'nomad/secrets', { a: 'b' }, k)).toThrow(VariableError);
    expect(() => put(base, 'app', {}, k)).toThrow('empty variables are invalid');
  });

  it('purges with or without a check-index; a missing path changes nothing', () => {
    const s = { ...put(base, 'app/db', { p: SECRET }, k).state, serial: 1 };
    expect(purgeVariable(s, { path: 'nope', now, who: 'u@h' }).state).toBe(s);
    expect(() => purgeVariable(s, { path: 'app/db', checkIndex: 9, now, who: 'u@h' })).toThrow(
      'current index 1',
    );
    const r = purgeVariable(s, { path: 'app/db', checkIndex: 1, now, who: 'u@h' });
    expect(r.purged?.ModifyIndex).toBe(1);
    expect(r.state.variables).toEqual({});
    expect(r.state.events.at(-1)).toMatchObject({ what: 'var.purge' });
  });

  it('lists metadata by prefix, sorted by path', () => {
    let s = base;
    for (const p of ['b/x', 'a/y', 'a/x']) s = { ...put(s, p, { k: SECRET }, k).state };
    const list = listVariables(s, 'a/');
    expect(list.map((m) => m.Path)).toEqual(['a/x', 'a/y']);
    expect(JSON.stringify(listVariables(s))).not.toContain(SECRET);
    expect(JSON.stringify(showableVariables(s))).not.toContain(SECRET);
    expect(showableVariables(s)['a/x']).toMatchObject({ Path: 'a/x', Items: '(encrypted)' });
  });
});

describe('the reader', () => {
  const k = key();
  const state = put(emptyState(LINEAGE), 'app/db', { password: SECRET }, k).state;

  it('opens a Variable when it is read, and says none is there', () => {
    const r = variableReader(state, ringOf(k));
    expect(r.get('app/db')).toMatchObject({
      meta: { Path: 'app/db' },
      items: { password: SECRET },
    });
    expect(r.get('app')).toBeUndefined();
    expect(r.get('constructor')).toBeUndefined();
    expect(r.list('').map((m) => m.Path)).toEqual(['app/db']);
  });

  it('names the path and the missing key, and reads nothing else, without the key', () => {
    const r = variableReader(state, ringOf(key()));
    expect(r.list('')).toHaveLength(1); // metadata needs no key
    expect(() => r.get('app/db')).toThrow(
      `cannot decrypt Variable "app/db": the keyring test has no key ${k.id}; restore the keyring you backed up or set DROVER_VARIABLES_KEY`,
    );
  });

  it('says the data is damaged when it does not open with the right key', () => {
    const v = state.variables!['app/db']!;
    const moved = { ...state, variables: { other: { ...v, path: 'other' } } };
    expect(() => variableReader(moved, ringOf(k)).get('other')).toThrow(
      /cannot decrypt Variable "other": its data does not open with key/,
    );
  });

  it('reads a state written before Variables', () => {
    const old = emptyState(LINEAGE);
    const parsed = parseState(serializeState(old), 'old');
    expect(parsed.variables).toBeUndefined();
    expect(variableReader(parsed, ringOf(k)).list('')).toEqual([]);
  });
});

describe('the keyring', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-keyring-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fileEnv = () => ({ XDG_CONFIG_HOME: join(dir, 'cfg'), HOME: dir });

  it('lives under XDG_CONFIG_HOME, ~/.config, or DROVER_KEYRING', () => {
    expect(keyringSource({ env: { XDG_CONFIG_HOME: '/x' } })).toEqual({
      kind: 'file',
      path: '/x/drover/keyring',
    });
    expect(keyringSource({ env: { HOME: '/home/u' } })).toEqual({
      kind: 'file',
      path: '/home/u/.config/drover/keyring',
    });
    expect(keyringSource({ env: { DROVER_KEYRING: '/k', XDG_CONFIG_HOME: '/x' } })).toEqual({
      kind: 'file',
      path: '/k',
    });
    expect(keyringSource({ env: { DROVER_VARIABLES_KEY: 'abc', DROVER_KEYRING: '/k' } }).kind).toBe(
      'env',
    );
  });

  it('is created on first write, 0600 in a 0700 directory, and told about once', async () => {
    const told: string[] = [];
    const env = fileEnv();
    const missing = await loadKeyring({ env });
    expect(missing.active).toBeUndefined();
    expect(missing.where).toContain('(not found)');
    const made = await keyringForWriting({ env }, (p) => told.push(p));
    const file = join(dir, 'cfg', 'drover', 'keyring');
    expect(told).toEqual([file]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'cfg', 'drover')).mode & 0o777).toBe(0o700);
    const again = await keyringForWriting({ env }, (p) => told.push(p));
    expect(told).toHaveLength(1);
    expect(again.active!.id).toBe(made.active!.id);
    expect(again.active!.material.equals(made.active!.material)).toBe(true);
  });

  it('takes the key from DROVER_VARIABLES_KEY, first one sealing, and refuses a bad one', async () => {
    const a = newKeyMaterial();
    const b = newKeyMaterial();
    const ring = await loadKeyring({
      env: { DROVER_VARIABLES_KEY: `${a.toString('base64')}, ${b.toString('base64')}` },
    });
    expect(ring.where).toBe('DROVER_VARIABLES_KEY');
    expect(ring.active!.id).toBe(keyIdOf(a));
    expect(ring.find(keyIdOf(b))).toBeDefined();
    await expect(loadKeyring({ env: { DROVER_VARIABLES_KEY: 'c2hvcnQ=' } })).rejects.toThrow(
      'DROVER_VARIABLES_KEY (key 1) is not a key: give the base64 of 32 random bytes',
    );
  });

  it('opens with the environment key what the file key sealed (same id)', async () => {
    const env = fileEnv();
    const fromFile = await keyringForWriting({ env }, () => undefined);
    const state = put(emptyState(LINEAGE), 'p', { k: SECRET }, fromFile.active!).state;
    const fromEnv = await loadKeyring({
      env: { DROVER_VARIABLES_KEY: fromFile.active!.material.toString('base64') },
    });
    expect(variableReader(state, fromEnv).get('p')!.items).toEqual({ k: SECRET });
  });

  it('rotates: a new key seals, the old one still opens', async () => {
    const env = fileEnv();
    const first = await keyringForWriting({ env }, () => undefined);
    const state = put(emptyState(LINEAGE), 'p', { k: SECRET }, first.active!).state;
    const added = await rotateKeyring({ env });
    const ring = await loadKeyring({ env });
    expect(ring.active!.id).toBe(added.id);
    expect(ring.keys).toHaveLength(2);
    expect(variableReader(state, ring).get('p')!.items).toEqual({ k: SECRET });
    const file = join(dir, 'cfg', 'drover', 'keyring');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('gives renders a reader: the keyring read once, its failure only where a Variable is read', async () => {
    const env = fileEnv();
    const ring = await keyringForWriting({ env }, () => undefined);
    const state = put(emptyState(LINEAGE), 'p', { k: SECRET }, ring.active!).state;
    expect((await loadVariableReader(state, { env })).get('p')!.items).toEqual({ k: SECRET });
    const empty = await loadVariableReader(emptyState(LINEAGE), { env: { DROVER_KEYRING: '/' } });
    expect(empty.list('')).toEqual([]);
    const damaged = join(dir, 'damaged');
    writeFileSync(damaged, 'nope');
    const r = await loadVariableReader(state, { env: { DROVER_KEYRING: damaged } });
    expect(r.list('')).toHaveLength(1);
    expect(() => r.get('p')).toThrow(`the keyring ${damaged} is damaged`);
  });

  it('says a damaged keyring file is damaged', async () => {
    const file = join(dir, 'kr');
    writeFileSync(file, '{"keys": [{"id": "x", "key": "AAAA"}], "active": "x"}');
    await expect(loadKeyring({ env: { DROVER_KEYRING: file } })).rejects.toThrow(KeyringError);
    writeFileSync(file, 'not json');
    await expect(loadKeyring({ env: { DROVER_KEYRING: file } })).rejects.toThrow(
      `the keyring ${file} is damaged: not JSON`,
    );
    expect(readFileSync(file, 'utf8')).toBe('not json');
  });
});
