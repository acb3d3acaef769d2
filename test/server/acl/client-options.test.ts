/** Where the CLI's client and the server find a token and an address: flags, environment, headers. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDRESS, apiClientOptions, createApiClient } from '../../../src/cli/api-client.js';
import { secretOf } from '../../../src/server/acl/index.js';

describe('apiClientOptions', () => {
  it('takes flags over DROVER_* variables, and the default address without either', () => {
    const env = {
      DROVER_ADDR: 'https://drover.internal:4646',
      DROVER_TOKEN: 'from-env',
      DROVER_CACERT: '/etc/drover/ca.pem',
      DROVER_CLIENT_CERT: '/etc/drover/cli.pem',
      DROVER_CLIENT_KEY: '/etc/drover/cli-key.pem',
    };
    expect(apiClientOptions({}, env)).toEqual({
      address: 'https://drover.internal:4646',
      token: 'from-env',
      caCert: '/etc/drover/ca.pem',
      clientCert: '/etc/drover/cli.pem',
      clientKey: '/etc/drover/cli-key.pem',
    });
    expect(
      apiClientOptions({ address: 'http://127.0.0.2:4646', token: 'flag' }, env),
    ).toMatchObject({ address: 'http://127.0.0.2:4646', token: 'flag' });
    expect(apiClientOptions({}, {})).toEqual({ address: DEFAULT_ADDRESS });
    expect(apiClientOptions({ token: '' }, { DROVER_TOKEN: '' })).toEqual({
      address: DEFAULT_ADDRESS,
    });
  });

  it('refuses an address that is not http(s), a client cert without its key, an unreadable CA', () => {
    expect(() => createApiClient({ address: 'ftp://x' })).toThrow(
      '-address must be http:// or https://, got ftp://x',
    );
    expect(() => createApiClient({ address: 'https://x', clientCert: '/c.pem' })).toThrow(
      '-client-cert and -client-key go together',
    );
    expect(() => createApiClient({ address: 'https://x', caCert: '/nonexistent/ca.pem' })).toThrow(
      /^cannot read -ca-cert \/nonexistent\/ca.pem: ENOENT/,
    );
    expect(createApiClient({ address: '127.0.0.1:4646' }).address).toBe('http://127.0.0.1:4646');
  });
});

describe('secretOf', () => {
  it('reads X-Nomad-Token, else Authorization: Bearer, else nothing', () => {
    expect(secretOf({ 'x-nomad-token': 'a', authorization: 'Bearer b' })).toBe('a');
    expect(secretOf({ authorization: 'Bearer  b ' })).toBe('b');
    expect(secretOf({ authorization: 'bearer c' })).toBe('c');
    expect(secretOf({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(secretOf({ 'x-nomad-token': '' })).toBeUndefined();
    expect(secretOf({})).toBeUndefined();
  });
});
