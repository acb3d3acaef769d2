export {
  DEFAULT_CONFIG_FILE,
  loadConfig,
  loadConfigSource,
  type ConfigLoadOptions,
} from './load.js';
export { currentHost, embeddedConfig } from './defaults.js';
export type * from './types.js';
