/** Hash, UUID and RSA functions. */
import * as crypto from 'node:crypto';
import { T } from '../types.js';
import { argError, callError, fn, param, type HclFunction } from './spec.js';

const str = (name: string) => param(name, T.string);

function hashHex(algorithm: string) {
  return fn([str('str')], ([s]) =>
    crypto
      .createHash(algorithm)
      .update(s as string, 'utf8')
      .digest('hex'),
  );
}

function hashBase64(algorithm: string) {
  return fn([str('str')], ([s]) =>
    crypto
      .createHash(algorithm)
      .update(s as string, 'utf8')
      .digest('base64'),
  );
}

const UUID_NAMESPACES: Record<string, string> = {
  dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
  oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
  x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
};

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
function uuidV5(namespace: string, name: string): string | undefined {
  const ns = (UUID_NAMESPACES[namespace] ?? namespace).replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(ns)) return undefined;
  const hash = crypto
    .createHash('sha1')
    .update(Buffer.from(ns, 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function bigFromBase64Url(s: string): bigint {
  return BigInt('0x' + (Buffer.from(s, 'base64url').toString('hex') || '0'));
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/**
 * RSA PKCS #1 v1.5 decryption, done by hand because Node refuses that padding for private
 * decryption; the key is PEM (PKCS #1 or PKCS #8).
 */
function rsaDecrypt(ciphertextB64: string, pem: string): string | { arg: number; message: string } {
  let jwk: crypto.JsonWebKey;
  try {
    jwk = crypto.createPrivateKey(pem).export({ format: 'jwk' });
  } catch {
    return { arg: 1, message: 'failed to parse key: no key found' };
  }
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.d)
    return { arg: 1, message: 'the key is not an RSA private key' };
  const n = bigFromBase64Url(jwk.n);
  const d = bigFromBase64Url(jwk.d);
  const k = Buffer.from(jwk.n, 'base64url').length;
  const c = Buffer.from(ciphertextB64, 'base64');
  if (c.length === 0 || c.length > k)
    return { arg: 0, message: 'failed to decrypt: invalid ciphertext' };
  const m = modPow(BigInt('0x' + c.toString('hex')), d, n);
  const em = Buffer.from(m.toString(16).padStart(k * 2, '0'), 'hex');
  if (em[0] !== 0 || em[1] !== 2) return { arg: 0, message: 'failed to decrypt: decryption error' };
  const sep = em.indexOf(0, 2);
  if (sep < 10) return { arg: 0, message: 'failed to decrypt: decryption error' };
  return em.subarray(sep + 1).toString('utf8');
}

export const cryptoFunctions: Record<string, HclFunction> = {
  md5: hashHex('md5'),
  sha1: hashHex('sha1'),
  sha256: hashHex('sha256'),
  sha512: hashHex('sha512'),
  base64sha256: hashBase64('sha256'),
  base64sha512: hashBase64('sha512'),
  uuidv4: fn([], () => crypto.randomUUID()),
  uuid: fn([], () => crypto.randomUUID()),
  uuidv5: fn([str('namespace'), str('name')], ([ns, name]) => {
    const u = uuidV5(ns as string, name as string);
    return (
      u ??
      argError(
        0,
        'must be one of "dns", "url", "oid", "x500", or a UUID (00000000-0000-0000-0000-000000000000)',
      )
    );
  }),
  rsadecrypt: fn([str('ciphertext'), str('privatekey')], ([c, key]) => {
    const r = rsaDecrypt(c as string, key as string);
    return typeof r === 'string' ? r : argError(r.arg, r.message);
  }),
  bcrypt: fn(
    [str('str')],
    () =>
      callError('bcrypt is not supported by drover; hash the value before writing it into the job'),
    param('cost', T.number),
  ),
};
