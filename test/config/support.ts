/** What the drover.hcl tests share: a config loaded from text on a made-up host. */
import { loadConfigSource } from '../../src/config/load.js';
import type { HostFacts } from '../../src/config/types.js';
import { Diagnostics } from '../../src/diag/diagnostic.js';

export const TEST_HOST: HostFacts = {
  cwd: '/proj',
  home: '/home/me',
  username: 'me',
  isRoot: false,
};

/** The config of `source` (every file exists, no environment) and its diagnostics. */
export function loadTestConfig(source: string, file = 'drover.hcl') {
  const diags = new Diagnostics();
  const config = loadConfigSource(source, file, diags, {
    host: TEST_HOST,
    fileExists: () => true,
    env: {},
  });
  return { config, diags };
}

/** Diagnostics as [severity, summary, line, column]. */
export function positioned(diags: Diagnostics): [string, string, number, number][] {
  return diags.items.map((d) => [
    d.severity,
    d.summary,
    d.range?.start.line ?? 0,
    d.range?.start.column ?? 0,
  ]);
}
