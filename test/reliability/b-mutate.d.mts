// Types of b-mutate.mjs (JavaScript so that the fuzz workers can load it).
export type Random = () => number;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): Random;
/** Every path to a value in a JSON document (objects' keys and arrays' indexes). */
export function jsonPaths(
  doc: Json,
  prefix?: Array<string | number>,
): Array<Array<string | number>>;
/** A copy of `doc` with the value at `path` replaced (or deleted when `value` is undefined). */
export function withValueAt(doc: Json, path: ReadonlyArray<string | number>, value: unknown): Json;
/** One mutated input: 1–3 mutations of `seed`, structural ones too when it is JSON. */
export function mutate(r: Random, seed: string, json: boolean): string;
/** Input number `n` of `kind`, made from `seeds[kind]` (the same in a worker and out of one). */
export function fuzzInput(
  seeds: Record<string, readonly string[]>,
  kind: string,
  n: number,
): string;
