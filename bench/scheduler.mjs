// Benchmark: drover's scheduler placing allocations on simulated clusters, after Nomad's
// scheduler benchmark grid (scheduler/benchmarks/benchmarks_test.go): nodes {500, 1000, 5000,
// 10000} × racks {25, 50, 75} × with and without `spread` over racks, jobs of 50–1200
// allocations, nodes of 32 GB, tasks scaled from 6000 MHz / 6000 MB so 10,000 fit, and a
// `set_contains_any` constraint over half the racks. Everything runs in this process: the
// scheduler is pure, so there is nothing to start. A full-scan reference (every feasible node
// scored) runs the headline workload too, to show what sampling costs in packing.
//
// Options (from bench/run.mjs): --nodes=N (1000: the headline cluster), --allocs=N (10000),
// --seed=N (1), --grid=full|quick|none (full: Nomad's grid; quick: 1,000 and 10,000 nodes
// without spread).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCase } from './scheduler/run-case.mjs';

export const name = 'scheduler';
export const description =
  "place allocations on simulated clusters (Nomad's scheduler benchmark grid), sampled and full scan";
/** The options this benchmark understands (see the header). */
export const options = ['nodes', 'allocs', 'seed', 'grid'];

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Issue 5: at least this many placements per second, "flat from 1k to 10k nodes", which we
 * check as every bin-pack grid row from 1,000 to 10,000 nodes reaching it too…
 */
const RATE_GOAL = 20_000;
/** …and bin-pack fill within this many points of a full-scan reference. */
const FILL_GOAL = 2;
/** A mixed workload for the packing comparison: task size multipliers, cycled per job. */
const MIXED = [0.5, 1, 1.5, 2, 0.75];

export async function run(opts = {}, log = () => {}) {
  const nodes = Number(opts.nodes ?? 1000);
  const allocs = Number(opts.allocs ?? 10_000);
  const seed = Number(opts.seed ?? 1);
  const grid = String(opts.grid ?? 'full');

  ensureBuilt(log);
  const sched = await import(pathToFileURL(join(root, 'dist/src/scheduler/index.js')).href);

  // Let the JIT settle before anything is timed.
  for (let i = 0; i < 3; i++) runCase(sched, { nodes, racks: 25, allocs, seed: 99 + i });

  const rows = [];
  const add = (label, mode, c) => {
    const r = runCase(sched, { allocs, seed, ...c });
    const row = {
      label,
      mode,
      nodes: c.nodes,
      racks: c.racks,
      spread: c.spread ? 'yes' : 'no',
      ...r,
    };
    log(
      `${label} ${mode}: ${row.placed} placed, ${row.failed} failed, ${Math.round(row.placeMs)} ms, ` +
        `${Math.round(row.rate)}/s, fill ${row.fill.toFixed(1)}%`,
    );
    rows.push(row);
    return row;
  };

  const headline = add('headline', 'sampled', { nodes, racks: 25 });
  const reference = add('headline', 'full scan', { nodes, racks: 25, fullScan: true });
  const full = { nodes, racks: 25, sizes: MIXED, untilFull: true };
  const saturated = add('until full, mixed sizes', 'sampled', full);
  const saturatedRef = add('until full, mixed sizes', 'full scan', { ...full, fullScan: true });

  const gridNodes =
    grid === 'full' ? [500, 1000, 5000, 10000] : grid === 'quick' ? [1000, 10000] : [];
  const gridRacks = grid === 'full' ? [25, 50, 75] : [25];
  const gridSpread = grid === 'full' ? [false, true] : [false];
  for (const spread of gridSpread)
    for (const n of gridNodes)
      for (const racks of gridRacks) add('grid', 'sampled', { nodes: n, racks, spread });

  const gridRate = (n) => {
    const rs = rows.filter((r) => r.label === 'grid' && r.nodes === n && r.spread === 'no');
    return rs.length > 0 ? rs.reduce((s, r) => s + r.rate, 0) / rs.length : undefined;
  };
  const at1k = gridRate(1000);
  const at10k = gridRate(10000);
  const binpackRows = rows.filter(
    (r) => r.label === 'grid' && r.spread === 'no' && r.nodes >= 1000 && r.nodes <= 10000,
  );
  const slowest = Math.min(...binpackRows.map((r) => r.rate));
  const fillGap = saturated.clusterFill - saturatedRef.clusterFill;

  const notes = [
    `${allocs.toLocaleString('en-US')} allocations per case in jobs of ${[50, 300, 600, 900, 1200].join('/')} ` +
      'allocations, one evaluation per job; nodes of 32,000 MHz / 32,000 MB in dc-1 and dc-2 with ' +
      "`meta.rack = r<i % racks>`; tasks of 750 MHz / 750 MB (Nomad's 6000/6000 ÷ 8); a " +
      '`set_contains_any` constraint admits half the racks. Time is `place` only (preparing the ' +
      `cluster once took ${headline.prepareMs.toFixed(0)} ms for ${nodes.toLocaleString('en-US')} nodes).`,
    'scored/pl. = nodes scored per placement: about log2 of the candidate nodes without spread; ' +
      'with a spread Nomad scores max(100, count) nodes, so those rows are slower and grow with ' +
      'the cluster by design.',
    'fill % = memory allocated over the memory of the nodes in use; cluster % = over every ' +
      'feasible node. "until full" keeps placing the jobs until one fails: how much of the ' +
      'cluster each packer manages to use.',
    `At ${allocs.toLocaleString('en-US')} allocations the sampled run fills the nodes it uses to ` +
      `${headline.fill.toFixed(1)}%, the full scan to ${reference.fill.toFixed(1)}%: Nomad's job ` +
      'anti-affinity, averaged into the score, steers a full scan to a node without a sibling ' +
      'allocation, so it spreads each job over every feasible node; sampling packs at least as tight.',
    'Nomad, for scale: C1M placed ~3,750 containers/s cluster-wide, C2M ~1,500/s.',
  ];
  if (at1k !== undefined && at10k !== undefined)
    notes.push(
      `bin-pack rate, mean over racks: ${Math.round(at1k).toLocaleString('en-US')}/s at 1,000 nodes, ` +
        `${Math.round(at10k).toLocaleString('en-US')}/s at 10,000 (${((at10k / at1k) * 100).toFixed(0)}%; ` +
        'log2 N nodes are scored per placement, so some slope is by design).',
    );

  const goals = [
    {
      text: `≥ ${RATE_GOAL.toLocaleString('en-US')} placements/s for ${allocs.toLocaleString('en-US')} allocations on ${nodes.toLocaleString('en-US')} nodes`,
      met: headline.failed === 0 && headline.rate >= RATE_GOAL,
    },
    {
      text: `bin-pack fill within ${FILL_GOAL} points of a full-scan reference (cluster filled until a placement fails: ${saturated.clusterFill.toFixed(1)}% vs ${saturatedRef.clusterFill.toFixed(1)}%)`,
      met: Math.abs(fillGap) <= FILL_GOAL,
    },
  ];
  if (binpackRows.length > 0)
    goals.push({
      text: `flat from 1k to 10k nodes: every bin-pack grid row ≥ ${RATE_GOAL.toLocaleString('en-US')}/s (slowest ${Math.round(slowest).toLocaleString('en-US')}/s)`,
      met: binpackRows.every((r) => r.failed === 0) && slowest >= RATE_GOAL,
    });

  return {
    name,
    title: `Benchmark "${name}": placements on simulated clusters, drover sampling vs full scan`,
    columns: [
      { key: 'label', label: 'case', align: 'left' },
      { key: 'mode', label: 'mode', align: 'left' },
      { key: 'nodes', label: 'nodes' },
      { key: 'racks', label: 'racks' },
      { key: 'spread', label: 'spread' },
      { key: 'placed', label: 'placed' },
      { key: 'failed', label: 'failed' },
      { key: 'placeMs', label: 'ms', format: (v) => v.toFixed(0) },
      { key: 'rate', label: 'placements/s', format: (v) => Math.round(v).toLocaleString('en-US') },
      { key: 'scoredPerPlacement', label: 'scored/pl.', format: (v) => v.toFixed(1) },
      { key: 'fill', label: 'fill %', format: (v) => v.toFixed(1) },
      { key: 'clusterFill', label: 'cluster %', format: (v) => v.toFixed(1) },
    ],
    rows,
    notes,
    goals,
    data: { nodes, allocs, seed, grid, fillGap, slowestBinpackRate: slowest },
  };
}

/** Builds dist/ when the scheduler's compiled output is missing or older than its sources. */
function ensureBuilt(log) {
  const built = join(root, 'dist/src/scheduler/index.js');
  const sources = join(root, 'src/scheduler');
  if (!existsSync(join(sources, 'index.ts'))) {
    throw new Error('src/scheduler/index.ts does not exist yet: nothing to benchmark');
  }
  const newest = Math.max(
    ...readdirSync(sources)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(join(sources, f)).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('dist/ is missing or stale: running npm run build');
  try {
    // Compiler output goes to stderr so that `--json` keeps stdout clean.
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    // tsc still writes its output when other parts of the tree have type errors.
    if (!existsSync(built))
      throw new Error('npm run build did not produce dist/src/scheduler/index.js');
  }
}
