/**
 * Finds the suite's parts at run time: every `parts/*.ts` exporting `part`, so that parts added
 * on two branches merge without a shared list. `names` (empty: all) picks some by name.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PartContext, ReliabilityPart, ReliabilityRow } from '../types.js';

const PARTS_DIR = fileURLToPath(new URL('../parts/', import.meta.url));

export async function loadParts(names: readonly string[] = []): Promise<ReliabilityPart[]> {
  const files = readdirSync(PARTS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  const parts: ReliabilityPart[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(`${PARTS_DIR}${file}`).href)) as {
      part?: ReliabilityPart;
    };
    if (mod.part === undefined)
      throw new Error(`test/reliability/parts/${file} exports no \`part\``);
    parts.push(mod.part);
  }
  const unknown = names.filter((n) => !parts.some((p) => p.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `no reliability part named ${unknown.join(', ')} (there are: ${parts.map((p) => p.name).join(', ')})`,
    );
  }
  return names.length === 0 ? parts : parts.filter((p) => names.includes(p.name));
}

/** Runs a part; a part that throws gives one row that says so, so the table still prints. */
export async function runPart(part: ReliabilityPart, ctx: PartContext): Promise<ReliabilityRow[]> {
  try {
    return await part.run(ctx);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [
      {
        test: `${part.name}: the part ran to its end`,
        tries: 1,
        passed: 0,
        lost: `the part threw: ${why.split('\n')[0]}`,
      },
    ];
  }
}
