/**
 * drover's Go text/template renderer with consul-template's functions: parse a template (unknown
 * functions are a parse error, as in Go), list the functions it calls (the plan refuses Consul and
 * Vault lookups by line), and render it against a TemplateContext.
 */
export { TemplateError } from './errors.js';
export type { ParsedTemplate, CalledFunction, ParseOptions, RenderOptions } from './api.js';
export { parseTemplate, calledFunctions, renderTemplate } from './api.js';
export type {
  TemplateContext,
  VariableReader,
  VariableMeta,
  ServiceCatalog,
  ServiceRegistration,
} from './context.js';
