import type { ValidateFunction } from 'ajv/dist/2020.js';
import validateConfig from '../generated/config.validate.js';
import { loadSchemaDocument, type SchemaDocument } from '../jobspec/schema.js';

/** drover.hcl's schema (schemas/config.schema.json), read once per process. */
export function configSchema(): SchemaDocument {
  return loadSchemaDocument('config', validateConfig as unknown as ValidateFunction);
}
