/**
 * Server settings for tests: drover.hcl's defaults (`serverSettings`, the code `drover server`
 * runs) with the name `test`, any free port, and the test's own overrides.
 */
import { tmpdir } from 'node:os';
import { currentHost } from '../../src/config/defaults.js';
import { serverSettings } from '../../src/config/server-settings.js';
import type { ServerSettings } from '../../src/server/types.js';

export function testServerSettings(over: Partial<ServerSettings> = {}): ServerSettings {
  return { ...serverSettings({ name: 'test' }, tmpdir(), currentHost()), port: 0, ...over };
}
