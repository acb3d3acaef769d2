// Benchmark: drover's HCL front end against HashiCorp's parser (@cdktf/hcl2json, Go in WASM).
//
// Generates 1,000 jobspecs shaped like real job files into a temp directory, then runs each tool
// as a separate whole process over all of them — start-up, module loading and WASM
// instantiation included, as a user would pay for them — and compares wall time and peak RSS.
// drover's process is `drover validate DIR` as the command runs it; hcl2json's parses each file.
//
// Options (from bench/run.mjs): --files=N (1000), --runs=N (3; medians are reported),
// --stage=validate|parse (default validate: the whole front of the pipeline; parse: the parser
// alone), --shape=real|large (default real: sizes and shapes of real job files, see
// parse/generate-real.mjs; large: 2–6 KB files of several groups), --seed=N, --keep (leave the
// generated files).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureNodeProcess, median } from './lib/measure.mjs';
import { generateJobspecs } from './parse/generate.mjs';

export const name = 'parse';
export const description = 'parse generated jobspecs: drover vs hcl2json, one whole process each';
/** The options this benchmark understands (see the header). */
export const options = ['files', 'runs', 'stage', 'shape', 'seed', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const child = (file) => fileURLToPath(new URL(`./parse/${file}`, import.meta.url));

/** The goal (issues 2 and 12): at least this many times faster than hcl2json's parse alone… */
const SPEED_GOAL = 5;
/** …and "well under" its peak memory, which we take as at most this fraction of it. */
const MEMORY_GOAL = 0.5;

export async function run(opts = {}, log = () => {}) {
  const files = Number(opts.files ?? 1000);
  const runs = Number(opts.runs ?? 3);
  const stage = String(opts.stage ?? 'validate');
  const seed = Number(opts.seed ?? 1);
  const shape = String(opts.shape ?? 'real');

  ensureBuilt(log);

  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-parse-'));
  try {
    let bytes = 0;
    let smallest = Infinity;
    let largest = 0;
    for (const [file, source] of generateJobspecs(files, seed, shape)) {
      const size = Buffer.byteLength(source);
      bytes += size;
      smallest = Math.min(smallest, size);
      largest = Math.max(largest, size);
      writeFileSync(join(dir, file), source);
    }
    log(`generated ${files} ${shape} jobspecs (${kb(smallest)}–${kb(largest)} KB) in ${dir}`);

    const drover = [];
    const hcl2json = [];
    for (let i = 0; i < runs; i++) {
      // Alternate the order so neither tool always runs on a warmer machine.
      const order = i % 2 === 0 ? ['drover', 'hcl2json'] : ['hcl2json', 'drover'];
      for (const tool of order) {
        const m =
          tool === 'drover'
            ? await measureNodeProcess(child('drover-child.mjs'), [dir, stage], { cwd: root })
            : await measureNodeProcess(child('hcl2json-child.mjs'), [dir], { cwd: root });
        (tool === 'drover' ? drover : hcl2json).push(m);
        log(
          `run ${i + 1}/${runs} ${tool}: ${Math.round(m.wallMs)} ms, ${mb(m.report.maxRssKB)} MB`,
        );
      }
    }

    const summarise = (tool, ms) => {
      const wallMs = median(ms.map((m) => m.wallMs));
      return {
        tool,
        files: ms[0].report.files,
        wallMs,
        cpuMs: median(ms.map((m) => m.report.cpuMs)),
        msPerFile: wallMs / ms[0].report.files,
        peakRssMB: median(ms.map((m) => m.report.maxRssKB)) / 1024,
        errors: Math.max(...ms.map((m) => m.report.errors)),
      };
    };
    const ours = summarise(stage === 'parse' ? 'drover (parse)' : 'drover validate', drover);
    const theirs = summarise('hcl2json (parse)', hcl2json);
    const speedup = theirs.wallMs / ours.wallMs;
    const cpuSpeedup = theirs.cpuMs / ours.cpuMs;
    const memoryShare = ours.peakRssMB / theirs.peakRssMB;

    const notes = [
      `${files} generated jobspecs (shape ${shape}), ${kb(smallest)}–${kb(largest)} KB each, ` +
        `${mb(bytes / 1024)} MB in all; median of ${runs} run${runs === 1 ? '' : 's'}; each tool is one whole ` +
        `\`node\` process (start-up included).`,
      `drover is ${fixed(speedup, 1)}× faster and uses ${fixed(memoryShare * 100, 0)}% of ` +
        `hcl2json's peak memory.`,
    ];
    const clean = ours.errors === 0 && theirs.errors === 0;
    if (!clean) {
      notes.push(
        `WARNING: errors reported (drover ${ours.errors}, hcl2json ${theirs.errors}); ` +
          'the generated files should all be valid, so these timings compare unequal work.',
      );
    }

    return {
      name,
      title: `Benchmark "${name}": ${files.toLocaleString('en-US')} jobspecs, drover (${stage}) vs hcl2json (parse)`,
      columns: [
        { key: 'tool', label: 'tool', align: 'left' },
        { key: 'files', label: 'files' },
        { key: 'wallMs', label: 'wall ms', format: (v) => fixed(v, 0) },
        { key: 'cpuMs', label: 'CPU ms', format: (v) => fixed(v, 0) },
        { key: 'msPerFile', label: 'ms/file', format: (v) => fixed(v, 3) },
        { key: 'peakRssMB', label: 'peak RSS MB', format: (v) => fixed(v, 1) },
        { key: 'errors', label: 'errors' },
      ],
      rows: [ours, theirs],
      notes: [
        ...notes,
        `ratio hcl2json/drover: wall ${fixed(speedup, 2)}×, CPU ${fixed(cpuSpeedup, 2)}× ` +
          '(CPU time of all threads: the steadier figure when other work shares the machine), ' +
          `peak RSS ${fixed(theirs.peakRssMB / ours.peakRssMB, 2)}×`,
      ],
      goals: [
        {
          text: `≥ ${SPEED_GOAL}× faster than hcl2json, whole process`,
          met: clean && speedup >= SPEED_GOAL,
        },
        {
          text: `peak memory well under hcl2json's (≤ ${MEMORY_GOAL * 100}% of it)`,
          met: clean && memoryShare <= MEMORY_GOAL,
        },
      ],
      data: { stage, shape, files, runs, seed, bytes, speedup, cpuSpeedup, memoryShare },
    };
  } finally {
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds dist/ when the CLI's compiled output is missing or older than any source it runs. */
function ensureBuilt(log) {
  const built = join(root, 'dist/src/cli/main.js');
  const newest = Math.max(...['src', 'providers'].map((d) => newestSource(join(root, d))));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('dist/ is missing or stale: running npm run build');
  try {
    // Compiler output goes to stderr so that `--json` keeps stdout clean.
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    // tsc still writes its output when other parts of the tree have type errors.
    if (!existsSync(built)) throw new Error('npm run build did not produce dist/src/cli/main.js');
  }
}

/** The newest modification time of the .ts files under a folder. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const kb = (bytes) => fixed(bytes / 1024, 1);
const mb = (kbytes) => fixed(kbytes / 1024, 1);
const fixed = (n, digits) => n.toFixed(digits);
