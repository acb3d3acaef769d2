/**
 * `PUT /v1/jobs/parse` (HCL2 with variables → Nomad's job JSON, through drover's own parser and
 * checks) and `PUT /v1/validate/job` (Nomad's job JSON held to every check a jobspec file is).
 * Neither reads or writes state.
 */
import { Diagnostics } from '../../diag/diagnostic.js';
import { loadJobSource, type LoadedJob } from '../../jobspec/load.js';
import { driverConfigCheck } from '../../../providers/config-validators.js';
import {
  diagnosticLines,
  diagnosticsText,
  fromNomadJob,
  toNomadJob,
  type JobVersionFacts,
} from '../nomad/job-json.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';
import { bodyOf, warningsText } from './write-path.js';

export const routes: Route[] = [
  {
    method: 'PUT',
    path: '/v1/jobs/parse',
    access: { kind: 'namespace', capability: 'read-job' },
    handler: parse,
  },
  {
    method: 'PUT',
    path: '/v1/validate/job',
    access: { kind: 'namespace', capability: 'read-job' },
    handler: validate,
  },
];

/** Where the request's job and variables stand: names in messages, never files on the server. */
const JOB_FILE = '/v1/jobs/parse/job.nomad.hcl';
const VARS_FILE = '/v1/jobs/parse/variables.hcl';

/** A parsed job is no version of anything yet. */
const PARSED: JobVersionFacts = {
  namespace: 'default',
  version: 0,
  stable: false,
  status: '',
  stop: false,
  submitTime: 0,
  createIndex: 0,
  modifyIndex: 0,
  jobModifyIndex: 0,
};

/**
 * {JobHCL, Canonicalize, Variables, HCLv1} → the job as Nomad's JSON. The job is always answered
 * canonicalized (drover's defaults filled in), whatever Canonicalize says: drover keeps no other
 * form of a job that Nomad's JSON could carry without losing what was written.
 */
async function parse(req: ApiRequest): Promise<ApiReply> {
  const body = await bodyOf(req);
  if (body.HCLv1 === true)
    throw new ApiError(400, 'HCL v1 is not supported: drover reads HCL2 jobspecs only');
  const { job } = loadRequestJob(body);
  return { json: toNomadJob(job, { ...PARSED, namespace: job.namespace }) };
}

/**
 * {JobHCL, Variables} → the job, read as a jobspec file with its variables file (400 with every
 * problem and where). Also how `POST /v1/drover/plans` reads the job it plans.
 */
export function loadRequestJob(body: Record<string, unknown>): LoadedJob {
  const hcl = body.JobHCL;
  if (typeof hcl !== 'string' || hcl.trim() === '') throw new ApiError(400, 'Job spec is empty');
  const variables = typeof body.Variables === 'string' ? body.Variables : '';
  const diags = new Diagnostics();
  const loaded = loadJobSource(
    hcl,
    JOB_FILE,
    {
      inputs: { vars: [], varFiles: variables ? [VARS_FILE] : [], env: {} },
      // The request's variables are its only file: a jobspec sent to the server reads none of its files.
      files: {
        readFile: (path) => {
          if (path === VARS_FILE) return variables;
          throw Object.assign(new Error(`${path}: the API reads no files`), { code: 'ENOENT' });
        },
      },
    },
    diags,
  );
  if (!loaded) throw new ApiError(400, diagnosticsText(diags.items, { positions: true }));
  return loaded;
}

/** {Job} → {DriverConfigValidated, ValidationErrors, Error, Warnings}; a bad job is a 200 with its errors, as Nomad answers. */
async function validate(req: ApiRequest): Promise<ApiReply> {
  const body = await bodyOf(req);
  if (body.Job === undefined || body.Job === null) throw new ApiError(400, 'Job must be specified');
  const read = fromNomadJob(body.Job, { drivers: driverConfigCheck });
  const errors = diagnosticLines(read.diagnostics);
  const warnings = diagnosticLines(read.diagnostics, { severity: 'warning' });
  return {
    json: {
      DriverConfigValidated: true,
      ValidationErrors: errors.length ? errors : null,
      Error: errors.length
        ? `${errors.length} error${errors.length === 1 ? '' : 's'} occurred:\n\n${errors.map((e) => `* ${e}`).join('\n')}`
        : '',
      Warnings: warningsText(warnings),
    },
  };
}
