/** drover.hcl's variables block: where the Variables keyring file is. */
import { describe, expect, it } from 'vitest';
import { loadTestConfig } from './support.js';
import { keyringSource } from '../../src/state/variables-keyring.js';

function load(source: string) {
  const { config, diags } = loadTestConfig(source, 'conf/drover.hcl');
  return { config, summaries: diags.items.map((d) => d.summary) };
}

describe('the variables block', () => {
  it('names the keyring file, relative to drover.hcl or the home directory', () => {
    expect(load('variables {\n  keyring = "keys/ring"\n}\n').config?.variablesKeyring).toBe(
      '/proj/conf/keys/ring',
    );
    expect(load('variables {\n  keyring = "~/ring"\n}\n').config?.variablesKeyring).toBe(
      '/home/me/ring',
    );
    expect(load('').config?.variablesKeyring).toBeUndefined();
  });

  it('loses to DROVER_KEYRING and DROVER_VARIABLES_KEY', () => {
    const file = '/proj/conf/ring';
    expect(keyringSource({ env: {}, file })).toEqual({ kind: 'file', path: file });
    expect(keyringSource({ env: { DROVER_KEYRING: '/k' }, file })).toEqual({
      kind: 'file',
      path: '/k',
    });
    expect(keyringSource({ env: { DROVER_VARIABLES_KEY: 'x' }, file }).kind).toBe('env');
  });

  it('refuses what it does not know', () => {
    const { config, summaries } = load('variables {\n  key = "x"\n}\n');
    expect(config).toBeUndefined();
    expect(summaries).toEqual(['Unsupported argument']);
  });
});
