/**
 * The front of the pipeline: source text → parsed → variables resolved → decoded → validated
 * (schema, then semantic rules and each task's driver config) → Nomad's defaults filled. Pure:
 * files are read through the `FileAccess` the caller gives, drivers' config rules are given too.
 */
import { DEFAULT_NAMESPACE, keyOfJob } from '../jobspec/job-key.js';
import { dirname } from 'node:path';
import { Diagnostics } from '../diag/diagnostic.js';
import type { Job } from '../generated/jobspec.js';
import { completeFileAccess, type FileAccess } from '../hcl/files.js';
import type { NormalizedJob } from '../generated/normalized-job.js';
import { parseHCL } from '../hcl/parser.js';
import { buildRootScope, type VariableInputs } from '../hcl/variables.js';
import type { Value, ValueObject } from '../hcl/value.js';
import { decodeJobFile } from './decode.js';
import { applyDefaults } from './defaults.js';
import { checkDriverConfigs, type DriverConfigCheck } from './driver-config.js';
import { findJobFiles } from './files.js';
import { withDurationsInMs } from './normalize.js';
import type { RangeIndex } from './ranges.js';
import { checkRules } from './rules.js';
import { jobspecSchema, type SchemaDocument } from './schema.js';
import { leafTexts, probeValue, Redactor, sensitivePointers } from './sensitive.js';
import { validateAgainstSchema } from './validate.js';

export type { VariableInputs };

export interface LoadedJob {
  /** The job's id (its label). */
  id: string;
  /** Its namespace (`default` when the file names none): with `id`, the job's key. */
  namespace: string;
  filename: string;
  source: string;
  /** The job as written (variables evaluated), before defaults: what a version records. */
  submitted: ValueObject;
  /**
   * The job with Nomad's defaults filled in, durations in ms: what plans and applies work on.
   * Made on first read: `validate` needs only the checks, not the converted copy.
   */
  readonly job: NormalizedJob;
  /**
   * JSON pointers into `job` of the values that derive from `sensitive = true` variables
   * (see sensitive.ts); empty when there are none.
   */
  readonly sensitive: string[];
  ranges: RangeIndex;
}

export interface LoadOptions {
  inputs: VariableInputs;
  /** Job files, var files and `file()`; without it, reading any file fails. */
  files?: Partial<FileAccess>;
  now?: () => Date;
  /** The drivers' config rules; without them, task configs are not checked (pure tests). */
  drivers?: DriverConfigCheck;
}

/** Loads one job from its source text; returns undefined when it has errors (all reported). */
export function loadJobSource(
  source: string,
  filename: string,
  opts: LoadOptions,
  diags: Diagnostics,
): LoadedJob | undefined {
  const own = new Diagnostics();
  const secrets: Value[] = [];
  const result = loadInto(source, filename, opts, own, secrets);
  // A diagnostic may quote a sensitive value (a rule naming a bad image, say): hide it.
  const redactor = secrets.length === 0 ? undefined : new Redactor(secrets.flatMap(leafTexts));
  diags.extend(
    !redactor || redactor.empty
      ? own.items
      : own.items.map((d) => ({
          ...d,
          summary: redactor.text(d.summary),
          ...(d.detail !== undefined ? { detail: redactor.text(d.detail) } : {}),
        })),
  );
  return own.hasErrors ? undefined : result;
}

function loadInto(
  source: string,
  filename: string,
  opts: LoadOptions,
  diags: Diagnostics,
  secrets: Value[],
): LoadedJob | undefined {
  const parsed = parseHCL(source, filename);
  diags.extend(parsed.diagnostics);
  if (diags.hasErrors) return undefined;
  const scopeOptions = {
    baseDir: dirname(filename),
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  };
  const scope = buildRootScope(
    parsed.file.body,
    opts.inputs,
    { ...scopeOptions, sensitive: { found: (v) => secrets.push(v) } },
    diags,
  );
  if (diags.hasErrors) return undefined;
  const schema = jobspecSchema();
  const decoded = decodeJobFile(parsed.file, scope, schema, diags);
  if (!decoded) return undefined;
  // Decoding skips what it reported (an unknown block, a bad value) and carries on, so the
  // schema and the rules can still report everything else in one run.
  // Validation converts scalars in place (5 → "5" for a string argument); applyDefaults copies.
  const submitted = decoded.job;
  const defaulted = checkDecodedJob(submitted, decoded.ranges, opts, diags, schema);
  if (!defaulted) return undefined;
  let normalized: NormalizedJob | undefined;
  let sensitive: string[] | undefined;
  const job = (): NormalizedJob => (normalized ??= withDurationsInMs(defaulted));
  // Only a job with sensitive variables keeps what finding their marks needs (its syntax tree):
  // `validate` of many files would otherwise hold every file's tree until it is done. No closure
  // here may mention `parsed`: V8 keeps one context per call for all of them, and `job` lives on.
  const markSensitive =
    secrets.length === 0
      ? (): string[] => []
      : sensitiveMarker(parsed.file, opts.inputs, scopeOptions, schema, job, secrets);
  return {
    id: defaulted.id,
    namespace: defaulted.namespace ?? DEFAULT_NAMESPACE,
    filename,
    source,
    submitted,
    get job() {
      return job();
    },
    get sensitive() {
      return (sensitive ??= markSensitive());
    },
    ranges: decoded.ranges,
  };
}

/**
 * The same job evaluated with every sensitive variable replaced by a probe value: what differs
 * derives from a sensitive value. Its diagnostics are the real run's, so they are dropped.
 */
function probedJob(
  file: ReturnType<typeof parseHCL>['file'],
  inputs: LoadOptions['inputs'],
  scopeOptions: Parameters<typeof buildRootScope>[2],
  schema: SchemaDocument,
): NormalizedJob | undefined {
  const quiet = new Diagnostics();
  const probeScope = buildRootScope(
    file.body,
    inputs,
    { ...scopeOptions, sensitive: { found: () => {}, probe: probeValue } },
    quiet,
  );
  const probe = decodeJobFile(file, probeScope, schema, quiet);
  if (!probe || !isValidJob(probe.job, schema, probe.ranges, quiet)) return undefined;
  try {
    return withDurationsInMs(applyDefaults(probe.job));
  } catch {
    return undefined; // a probe value the defaults cannot take (a duration, say)
  }
}

/** The pointers of the job's values that derive from the given sensitive values. */
function sensitiveMarker(
  file: ReturnType<typeof parseHCL>['file'],
  inputs: LoadOptions['inputs'],
  scopeOptions: Parameters<typeof buildRootScope>[2],
  schema: SchemaDocument,
  job: () => NormalizedJob,
  secrets: readonly Value[],
): () => string[] {
  return () => {
    const texts = secrets.flatMap(leafTexts);
    const probed = probedJob(file, inputs, scopeOptions, schema);
    // Without a probe (it failed to decode), only the leaves quoting a secret are known.
    return sensitivePointers(job(), probed ?? job(), texts);
  };
}

/**
 * A decoded job (from HCL, or from Nomad's job JSON) held to the schema, then given Nomad's
 * defaults and held to the semantic rules and its drivers' config rules: the defaulted job, or
 * undefined when it is not valid (the schema's errors only: the rules need a valid job). The
 * validator may coerce scalars in `submitted` in place (5 → "5" for a string argument).
 */
export function checkDecodedJob(
  submitted: ValueObject,
  ranges: RangeIndex,
  opts: Pick<LoadOptions, 'drivers'>,
  diags: Diagnostics,
  schema: SchemaDocument = jobspecSchema(),
): Job | undefined {
  if (!isValidJob(submitted, schema, ranges, diags)) return undefined;
  // The rules check the defaulted job while its durations are still as written (for messages).
  const defaulted = applyDefaults(submitted);
  checkRules(defaulted, ranges, diags);
  if (opts.drivers) checkDriverConfigs(defaulted, ranges, opts.drivers, diags);
  return defaulted;
}

/** Schema validation, as the type guard it is. */
function isValidJob(
  submitted: ValueObject,
  schema: SchemaDocument,
  ranges: RangeIndex,
  diags: Diagnostics,
): submitted is ValueObject & Job {
  return validateAgainstSchema(submitted, schema, ranges, diags);
}

export interface LoadedFiles {
  jobs: LoadedJob[];
  diagnostics: Diagnostics;
  /** Source text of every file read, for code frames. */
  sources: Map<string, string>;
}

/**
 * Visits every job file under the given paths (files or directories) as it is loaded, so that
 * callers that need only a summary (validate) do not hold every job in memory at once.
 * `visit` gets undefined for a file that had errors, and whether the file has diagnostics.
 * Returns the diagnostics of all files.
 */
export function forEachJobFile(
  paths: readonly string[],
  opts: LoadOptions,
  visit: (job: LoadedJob | undefined, file: string, source: string, noted: boolean) => void,
): Diagnostics {
  const diagnostics = new Diagnostics();
  const files = completeFileAccess(opts.files ?? {});
  const ids = new Map<string, string>();
  for (const file of findJobFiles(paths, files, diagnostics)) {
    let source: string;
    try {
      source = files.readFile(file);
    } catch (err) {
      diagnostics.error('Cannot read file', undefined, `${file}: ${(err as Error).message}`);
      continue;
    }
    const before = diagnostics.items.length;
    const job = loadJobSource(source, file, opts, diagnostics);
    if (job) {
      // The same id in two namespaces is two jobs. (Not from `job.job`: that makes the
      // normalized copy, which validate never needs.)
      const key = keyOfJob(job);
      const first = ids.get(key);
      if (first)
        diagnostics.error(
          'Duplicate job',
          job.ranges.nameRange(''),
          `A job with id "${job.id}" in namespace "${job.namespace}" is also defined in ${first}. Job ids must be unique within a namespace.`,
        );
      else ids.set(key, file);
    }
    visit(job, file, source, diagnostics.items.length > before);
  }
  return diagnostics;
}

/** Loads every job file under the given paths (files or directories). */
export function loadJobFiles(paths: readonly string[], opts: LoadOptions): LoadedFiles {
  const sources = new Map<string, string>();
  const jobs: LoadedJob[] = [];
  const diagnostics = forEachJobFile(paths, opts, (job, file, source) => {
    sources.set(file, source);
    if (job) jobs.push(job);
  });
  return { jobs, diagnostics, sources };
}
