/**
 * `server { tls { … } }` on the real process: HTTPS with the server's certificate; with
 * verify_client a client certificate signed by `ca` is required (none, or one of another CA, is
 * refused during the handshake).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCert } from '../../support/docker-tls.js';
import { startServerProcess, type ServerProcess } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-server-tls-'));
const certs = join(dir, 'certs');
const servers: ServerProcess[] = [];
let ca: { cert: string; key: string };
let client: { cert: string; key: string };
let stranger: { cert: string; key: string };

function tlsServerDir(name: string, verifyClient: boolean): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(
    join(d, 'drover.hcl'),
    `server {\n  tls {\n    cert = "${join(certs, 'server.pem')}"\n    key = "${join(certs, 'server-key.pem')}"\n` +
      `    ca = "${ca.cert}"\n    verify_client = ${verifyClient}\n  }\n}\n`,
  );
  return d;
}

function get(
  url: string,
  auth?: { cert: string; key: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(ca.cert),
        ...(auth ? { cert: readFileSync(auth.cert), key: readFileSync(auth.key) } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(certs);
  ca = await makeCa(certs, 'ca');
  await makeCert(certs, ca, 'server', { ip: '127.0.0.1' });
  client = await makeCert(certs, ca, 'client', {});
  const otherDir = join(dir, 'other');
  mkdirSync(otherDir);
  stranger = await makeCert(otherDir, await makeCa(otherDir, 'other-ca'), 'stranger', {});
});

afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('drover server with TLS', () => {
  it('serves HTTPS without asking for a client certificate', async () => {
    const s = await startServerProcess(tlsServerDir('plain', false));
    servers.push(s);
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await get(`${s.url}/v1/status/leader`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toBe(s.url.replace('https://', ''));
    // Plain HTTP to an HTTPS port gets no answer of the API.
    const plain = await fetch(s.url.replace('https', 'http') + '/v1/regions').then(
      (res) => res.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it('with verify_client requires a client certificate signed by the CA', async () => {
    const s = await startServerProcess(tlsServerDir('verify', true));
    servers.push(s);
    const ok = await get(`${s.url}/v1/regions`, client);
    expect(ok).toEqual({ status: 200, body: '["global"]' });
    await expect(get(`${s.url}/v1/regions`)).rejects.toThrow();
    await expect(get(`${s.url}/v1/regions`, stranger)).rejects.toThrow();
  });
});
