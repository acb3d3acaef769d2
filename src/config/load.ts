/**
 * Reads drover.hcl: source text → parsed → decoded with the config schema → validated (schema,
 * then rules) → defaults filled. Diagnostics are those of jobspecs: exact ranges, did-you-mean.
 * No variables here, but functions work, `env("NAME")` among them.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Diagnostics } from '../diag/diagnostic.js';
import type { ConfigFile } from '../generated/config.js';
import { EvalScope } from '../hcl/eval.js';
import { parseHCL } from '../hcl/parser.js';
import { nodeFileAccess } from '../io/node-files.js';
import { decodeDocument } from '../jobspec/decode.js';
import { validateAgainstSchema } from '../jobspec/validate.js';
import { applyConfigDefaults, currentHost, embeddedConfig } from './defaults.js';
import { configFunctions, type Environment } from './functions.js';
import { checkConfigRules } from './rules.js';
import { configSchema } from './schema.js';
import { checkServerRules, serverSettings } from './server-settings.js';
import type { DroverConfig, HostFacts } from './types.js';

/** The file read when no `-config` is given, in the working directory. */
export const DEFAULT_CONFIG_FILE = 'drover.hcl';

export interface ConfigLoadOptions {
  /** The machine drover runs on; defaults to the real one. */
  host?: HostFacts;
  /** The environment `env()` reads; defaults to process.env. */
  env?: Environment;
  /** Reads drover.hcl and what `file()` reads; defaults to the file system. */
  readFile?: (path: string) => string;
  /** Whether a regular file exists (drover.hcl, identity keys, TLS files). */
  fileExists?: (path: string) => boolean;
}

/**
 * The configuration from `path` (a `-config` flag), else from ./drover.hcl, else the embedded
 * default. Returns undefined when it has errors (all reported to diags).
 */
export function loadConfig(
  path: string | undefined,
  diags: Diagnostics,
  opts: ConfigLoadOptions = {},
): DroverConfig | undefined {
  const host = opts.host ?? currentHost();
  const fileExists = opts.fileExists ?? isFile;
  const filename = path ?? DEFAULT_CONFIG_FILE;
  const absolute = resolve(host.cwd, filename);
  if (path === undefined && !fileExists(absolute)) return embeddedConfig(host);
  let source: string;
  try {
    source = (opts.readFile ?? readText)(absolute);
  } catch (err) {
    diags.error(
      path !== undefined && (err as { code?: string }).code === 'ENOENT'
        ? 'Configuration file not found'
        : 'Cannot read configuration file',
      undefined,
      readFailure(filename, err),
    );
    return undefined;
  }
  return loadConfigSource(source, filename, diags, { ...opts, host });
}

/**
 * The configuration from source text. `filename` names the file in diagnostics; relative paths
 * in the file resolve against its directory (relative to the host's working directory).
 */
export function loadConfigSource(
  source: string,
  filename: string,
  diags: Diagnostics,
  opts: ConfigLoadOptions = {},
): DroverConfig | undefined {
  const own = new Diagnostics();
  const config = loadInto(source, filename, opts, own);
  diags.extend(own.items);
  return own.hasErrors ? undefined : config;
}

function loadInto(
  source: string,
  filename: string,
  opts: ConfigLoadOptions,
  diags: Diagnostics,
): DroverConfig | undefined {
  const host = opts.host ?? currentHost();
  const file = resolve(host.cwd, filename);
  const baseDir = dirname(file);
  const parsed = parseHCL(source, filename);
  diags.extend(parsed.diagnostics);
  if (diags.hasErrors) return undefined;
  const scope = EvalScope.create({
    functions: configFunctions(opts.env ?? process.env),
    baseDir,
    files: opts.readFile ? { readFile: opts.readFile } : nodeFileAccess,
    variablesAllowed: false,
    sourceText: (f) => (f === filename ? source : undefined),
  });
  const schema = configSchema();
  // Decoding reports and skips what does not fit, so the schema can still report the rest.
  const { value, ranges } = decodeDocument(parsed.file.body, schema.rootBlock, scope, diags);
  if (!validateAgainstSchema(value, schema, ranges, diags)) return undefined;
  const written = value as unknown as ConfigFile;
  checkConfigRules(written, ranges, diags, {
    baseDir,
    host,
    fileExists: opts.fileExists ?? isFile,
  });
  checkServerRules(written, ranges, diags);
  if (diags.hasErrors) return undefined;
  return {
    file,
    ...applyConfigDefaults(written, baseDir, host),
    ...(written.server ? { server: serverSettings(written.server, baseDir, host) } : {}),
    ranges,
  };
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readFailure(filename: string, err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT') return `No file exists at "${filename}".`;
  if (code === 'EISDIR') return `"${filename}" is a directory, not a file.`;
  return `${filename}: ${(err as Error).message}`;
}
