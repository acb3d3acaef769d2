// One whole drover process for the parse benchmark, then a one-line JSON report (file count,
// errors, its own peak memory) as the last line of stdout.
//
//   node bench/parse/drover-child.mjs DIR validate   `drover validate DIR`, exactly as the
//                                                     `drover` command runs it (bin/drover.js)
//   node bench/parse/drover-child.mjs DIR parse      the parser alone on every *.hcl file
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { selfReport } from '../lib/measure.mjs';

const [dir, stage = 'validate'] = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.hcl'))
  .sort()
  .map((f) => join(dir, f));

if (stage === 'parse') {
  const dist = new URL('../../dist/src/', import.meta.url);
  const { parseHCL } = await import(new URL('hcl/parser.js', dist).href);
  let errors = 0;
  for (const file of files) {
    const { diagnostics } = parseHCL(readFileSync(file, 'utf8'), file);
    errors += diagnostics.filter((d) => d.severity === 'error').length;
  }
  console.log(selfReport({ files: files.length, errors }));
} else if (stage === 'validate') {
  // Count the errors drover prints (its diagnostics go to stderr, one `file:line:col: error:`
  // line each) while still writing them, so the process does the work a user's would.
  let errors = 0;
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    errors += String(chunk).match(/^\S+:\d+:\d+: error: /gm)?.length ?? 0;
    return write(chunk, ...rest);
  };
  process.on('exit', () => {
    writeSync(1, `\n${selfReport({ files: files.length, errors })}\n`);
    // Errors are counted in the report; the process itself succeeded.
    process.exitCode = 0;
  });
  process.argv = [process.argv[0], 'drover', 'validate', dir];
  await import(new URL('../../bin/drover.js', import.meta.url).href);
} else {
  console.error(`unknown stage ${stage}: use parse or validate`);
  process.exit(2);
}
