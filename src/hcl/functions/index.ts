/**
 * The function library of Nomad's jobspec2 (hashicorp/nomad jobspec2/functions.go), plus a few
 * widely used Terraform functions (timestamp, tostring/tonumber/tobool/tolist/toset/tomap,
 * regex/regexall, startswith/endswith/strcontains, alltrue/anytrue, sum, one, setsubtract,
 * timecmp, file hashes, base64sha256/512, uuid).
 */
import { collectionFunctions } from './collection.js';
import { conversionFunctions } from './conversion.js';
import { cryptoFunctions } from './crypto.js';
import { datetimeFunctions } from './datetime.js';
import { encodingFunctions } from './encoding.js';
import { filesystemFunctions } from './filesystem.js';
import { formatFunctions } from './format.js';
import { networkFunctions } from './network.js';
import { numericFunctions } from './numeric.js';
import type { FunctionTable, HclFunction } from './spec.js';
import { stringFunctions } from './string.js';

export type { FunctionTable, HclFunction } from './spec.js';

const families: Record<string, HclFunction>[] = [
  stringFunctions,
  formatFunctions,
  collectionFunctions,
  numericFunctions,
  encodingFunctions,
  cryptoFunctions,
  networkFunctions,
  datetimeFunctions,
  conversionFunctions,
  filesystemFunctions,
];

let table: FunctionTable | undefined;

/** Every function a jobspec may call, by name. */
export function standardFunctions(): FunctionTable {
  table ??= new Map(families.flatMap((f) => Object.entries(f)));
  return table;
}

/** The same table without file-system access (for validation conditions, as Nomad does). */
export function functionsWithoutFiles(): FunctionTable {
  const names = new Set(Object.keys(filesystemFunctions));
  return new Map([...standardFunctions()].filter(([name]) => !names.has(name)));
}
