/**
 * The keyring that seals Variables, kept outside the state so a copy of the state (a snapshot, a
 * database dump, a CI artifact) holds no readable secret. The keys come from
 * DROVER_VARIABLES_KEY (base64 of 32 bytes; several, comma-separated, the first sealing) when
 * it is set, else from a keyring file: DROVER_KEYRING, else $XDG_CONFIG_HOME/drover/keyring,
 * else ~/.config/drover/keyring. The file is created on the first `var put` (mode 0600 in a
 * 0700 directory) and is JSON: `{"version":1,"active":ID,"keys":[{"id","key","created_at"}]}`.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { KEY_BYTES, keyIdOf, newKeyMaterial, type VariableKey } from './variables-crypto.js';

export const KEY_ENV = 'DROVER_VARIABLES_KEY';
export const KEYRING_ENV = 'DROVER_KEYRING';

/** A problem with the keyring or a key: the user's to fix, shown without a stack. */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/** The keys Variables are sealed and opened with. */
export interface Keyring {
  /** `the keyring FILE` or `DROVER_VARIABLES_KEY`, for messages. */
  readonly where: string;
  /** The key that seals new Variables; undefined for a keyring file that does not exist yet. */
  readonly active: VariableKey | undefined;
  readonly keys: readonly VariableKey[];
  find(id: string): VariableKey | undefined;
}

/** Where the keys are: the environment variable, or a keyring file. */
export type KeyringSource = { kind: 'env'; value: string } | { kind: 'file'; path: string };

export interface KeyringOptions {
  env?: NodeJS.ProcessEnv;
  /** A keyring file named by configuration; DROVER_KEYRING still wins. */
  file?: string;
}

export function keyringSource(opts: KeyringOptions = {}): KeyringSource {
  const env = opts.env ?? process.env;
  const value = env[KEY_ENV];
  if (value !== undefined && value.trim() !== '') return { kind: 'env', value };
  const configured = env[KEYRING_ENV] || opts.file;
  if (configured) return { kind: 'file', path: resolve(configured) };
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return { kind: 'file', path: join(base, 'drover', 'keyring') };
}

/** The keyring, never created here: a missing file is a keyring without keys. */
export async function loadKeyring(opts: KeyringOptions = {}): Promise<Keyring> {
  const source = keyringSource(opts);
  if (source.kind === 'env') return envKeyring(source.value);
  const text = await readFile(source.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new KeyringError(`cannot read the keyring ${source.path}: ${e.message}`);
  });
  return text === undefined
    ? keyring(`the keyring ${source.path} (not found)`, [], undefined)
    : parseKeyringFile(text, source.path);
}

/**
 * The keyring with a key to seal with: a keyring file that does not exist yet is created with a
 * new key, and `onCreate` is told where (the user must back it up).
 */
export async function keyringForWriting(
  opts: KeyringOptions,
  onCreate: (path: string) => void,
): Promise<Keyring> {
  const source = keyringSource(opts);
  const existing = await loadKeyring(opts);
  if (existing.active || source.kind === 'env') return existing;
  const material = newKeyMaterial();
  const created = await createFileExclusive(source.path, keyringText([material], 0));
  if (created) onCreate(source.path);
  // Another drover may have created it at the same moment: use whichever file won.
  return loadKeyring(opts);
}

/**
 * Adds a new key to a keyring file and makes it the one that seals; the old keys stay so that
 * Variables sealed with them still open. The environment variable is rotated by its owner.
 */
export async function rotateKeyring(opts: KeyringOptions): Promise<VariableKey> {
  const source = keyringSource(opts);
  if (source.kind === 'env')
    throw new KeyringError(
      `the keys come from ${KEY_ENV}: put a new key (openssl rand -base64 32) first in it, the old ones after it, comma-separated`,
    );
  const current = await loadKeyring(opts);
  if (current.keys.length === 0)
    throw new KeyringError(`${current.where} has no keys to rotate; drover var put creates it`);
  const material = newKeyMaterial();
  const materials = [...current.keys.map((k) => k.material), material];
  await writeFileAtomic(source.path, keyringText(materials, materials.length - 1), {
    mode: 0o600,
  });
  return { id: keyIdOf(material), material };
}

function envKeyring(value: string): Keyring {
  const keys = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s, i) => decodeKey(s, `${KEY_ENV} (key ${i + 1})`));
  return keyring(KEY_ENV, keys, keys[0]);
}

function decodeKey(base64: string, where: string): VariableKey {
  const material = Buffer.from(base64, 'base64');
  if (material.length !== KEY_BYTES || material.toString('base64') !== base64.replace(/\s/g, ''))
    throw new KeyringError(
      `${where} is not a key: give the base64 of ${KEY_BYTES} random bytes (openssl rand -base64 32)`,
    );
  return { id: keyIdOf(material), material };
}

interface KeyringFile {
  version: 1;
  active: string;
  keys: { id: string; key: string; created_at: string }[];
}

function parseKeyringFile(text: string, path: string): Keyring {
  const bad = (why: string) => new KeyringError(`the keyring ${path} is damaged: ${why}`);
  let data: KeyringFile;
  try {
    data = JSON.parse(text) as KeyringFile;
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || !Array.isArray(data.keys))
    throw bad('no "keys" list');
  const keys = data.keys.map((k, i) => {
    const key = decodeKey(String(k?.key ?? ''), `the keyring ${path} (key ${i + 1})`);
    if (k.id !== key.id) throw bad(`key ${i + 1} is not key ${String(k.id)}`);
    return key;
  });
  const active = keys.find((k) => k.id === data.active);
  if (!active) throw bad(`its active key ${String(data.active)} is not among its keys`);
  return keyring(`the keyring ${path}`, keys, active);
}

function keyring(where: string, keys: VariableKey[], active: VariableKey | undefined): Keyring {
  return { where, keys, active, find: (id) => keys.find((k) => k.id === id) };
}

function keyringText(materials: Buffer[], activeIndex: number): string {
  const now = new Date().toISOString();
  const file: KeyringFile = {
    version: 1,
    active: keyIdOf(materials[activeIndex]!),
    keys: materials.map((m) => ({ id: keyIdOf(m), key: m.toString('base64'), created_at: now })),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

/** Writes `path` whole (mode 0600, directory 0700) unless it exists; true when this call made it. */
async function createFileExclusive(path: string, text: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() fails if the name exists: two first `var put`s at once keep one keyring.
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
