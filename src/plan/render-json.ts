/**
 * A plan for machines: `plan -json` prints the Plan object itself, which is what
 * `schemas/plan.schema.json` describes and what a planfile holds.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Plan } from '../generated/plan.js';
import validatePlanSchema from '../generated/plan.validate.js';

const validate = validatePlanSchema as unknown as ValidateFunction<Plan>;

/**
 * The plan as indented JSON with a final newline. Lists of plain values stay on one line
 * (`"path": ["config", "image"]`), so a planfile reads well in a review.
 */
export function renderPlanJson(plan: Plan): string {
  return `${pretty(plan, '')}\n`;
}

function pretty(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object'))
      return `[${value.map((v) => JSON.stringify(v) ?? 'null').join(', ')}]`;
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

/**
 * Checks a value against the plan schema; the problems read `/jobs/0/type: must be equal to one
 * of the allowed values: "create", "update", "destroy", "none"`.
 */
export function checkPlanSchema(value: unknown): { plan: Plan } | { problems: string[] } {
  if (validate(value)) return { plan: value };
  return { problems: (validate.errors ?? []).map(describeError) };
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = e.params as { additionalProperty?: string; allowedValues?: unknown[] };
  const extra =
    e.keyword === 'additionalProperties'
      ? `: ${JSON.stringify(params.additionalProperty)}`
      : e.keyword === 'enum'
        ? `: ${(params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`
        : '';
  return `${where}: ${e.message ?? e.keyword}${extra}`;
}
