import type { ValidateFunction } from 'ajv/dist/2020.js';
import configSchemaJson from '../generated/config.schema.js';
import validateConfig from '../generated/config.validate.js';
import { schemaDocument, type SchemaDocument } from '../jobspec/schema.js';

/** drover.hcl's schema (schemas/config.schema.json). */
export function configSchema(): SchemaDocument {
  return schemaDocument('config', configSchemaJson, validateConfig as unknown as ValidateFunction);
}
