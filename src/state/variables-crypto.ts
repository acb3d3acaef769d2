/**
 * Sealing a Variable's items: AES-256-GCM with a random 96-bit nonce, the Variable's path as
 * additional authenticated data (a sealed blob moved to another path does not open), and the id
 * of the key that sealed it kept beside it. Pure apart from the random nonce.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A 256-bit key of the keyring. */
export interface VariableKey {
  id: string;
  material: Buffer;
}

/** What the state keeps of a Variable's items. */
export interface SealedItems {
  key_id: string;
  /** base64 */
  nonce: string;
  /** base64 of the ciphertext followed by the 16-byte tag. */
  data: string;
}

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A key's id, derived from its material: the same key has the same id wherever it is kept (a
 * keyring file here, DROVER_VARIABLES_KEY on a CI runner), and naming it reveals nothing.
 */
export function keyIdOf(material: Buffer): string {
  return createHash('sha256')
    .update('drover variables key id\0')
    .update(material)
    .digest('hex')
    .slice(0, 16);
}

export function newKeyMaterial(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function sealItems(
  items: Readonly<Record<string, string>>,
  path: string,
  key: VariableKey,
  nonce: Buffer = randomBytes(NONCE_BYTES),
): SealedItems {
  const cipher = createCipheriv('aes-256-gcm', key.material, nonce);
  cipher.setAAD(Buffer.from(path));
  const body = Buffer.concat([cipher.update(JSON.stringify(items), 'utf8'), cipher.final()]);
  return {
    key_id: key.id,
    nonce: nonce.toString('base64'),
    data: Buffer.concat([body, cipher.getAuthTag()]).toString('base64'),
  };
}

/**
 * The items sealed at `path` with `key`, or undefined when they do not open (another key, another
 * path, or bytes changed): the caller names the Variable in its error.
 */
export function openItems(
  sealed: SealedItems,
  path: string,
  key: VariableKey,
): Record<string, string> | undefined {
  const raw = Buffer.from(sealed.data, 'base64');
  const nonce = Buffer.from(sealed.nonce, 'base64');
  if (raw.length < TAG_BYTES || nonce.length !== NONCE_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, nonce);
    decipher.setAAD(Buffer.from(path));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const text = Buffer.concat([
      decipher.update(raw.subarray(0, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  } catch {
    return undefined;
  }
}
