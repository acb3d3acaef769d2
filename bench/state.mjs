// Benchmark (issue 11): the postgres state backend against the local file, in the same run.
//
// 1. `drover plan -refresh=false` over 1,000 recorded jobs with no change, as whole processes,
//    once with the state in the local file and once in PostgreSQL (the same state, copied there
//    by `drover state migrate`); goal: postgres within 1.5× of local.
// 2. A state write costs what changed, not the size of the state: the median time of one small
//    write (one allocation changed, one event appended, under the lock as an apply makes it) on
//    a 10-job state and on a 1,000-job state, both on postgres; goal: the larger within 1.5×.
//
// PostgreSQL is a throwaway server (test/support/postgres-server.mjs: Debian's binaries, a data
// dir under /tmp, a free port on 127.0.0.1, default durability settings), stopped at the end.
//
// Options: --jobs=N (1000), --runs=N (5, medians), --writes=N (50 per state size), --seed=N,
// --keep (leave the generated files).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startPostgres } from '../test/support/postgres-server.mjs';
import { median } from './lib/measure.mjs';
import { ensureCliBuilt } from './plan/build.mjs';
import { planConfig, writePlanProject } from './plan/generate.mjs';
import { measureCommand } from './plan/measure-command.mjs';

export const name = 'state';
export const description =
  'plan over 1,000 recorded jobs with the state on postgres vs the local file; write cost vs state size';
export const options = ['jobs', 'runs', 'writes', 'seed', 'keep'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin/drover.js');
const seedChild = fileURLToPath(new URL('./plan/seed-apply.mjs', import.meta.url));

const PLAN_RATIO_GOAL = 1.5;
const WRITE_RATIO_GOAL = 1.5;

export async function run(opts = {}, log = () => {}) {
  const jobs = Number(opts.jobs ?? 1000);
  const runs = Number(opts.runs ?? 5);
  const writes = Number(opts.writes ?? 50);
  const seed = Number(opts.seed ?? 1);
  ensureCliBuilt(root, log);
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-state-'));
  log('starting PostgreSQL…');
  const server = await startPostgres();
  try {
    // The local project, its state recorded by drover's own apply (bench/plan/seed-apply.mjs).
    const local = join(dir, 'local');
    writePlanProject(local, jobs, seed);
    const seeded = await measureCommand(process.execPath, [seedChild, join(root, 'dist'), local], {
      cwd: root,
    });
    if (!seeded.stdout.includes('"exitCode":0'))
      throw new Error(`seeding failed:\n${seeded.stderr}`);
    log(`recorded ${jobs} applied jobs in ${Math.round(seeded.wallMs)} ms`);

    // The same project on postgres, its state copied by `drover state migrate`.
    const pg = join(dir, 'postgres');
    cpSync(local, pg, { recursive: true });
    const url = server.url;
    const pgConfig = planConfig(pg).replace(
      /state \{[^}]*\}/,
      `state {\n  backend = "postgres"\n  url     = "${url}"\n}`,
    );
    writeFileSync(join(pg, 'drover.hcl'), pgConfig);
    const migrated = await measureCommand(
      process.execPath,
      [
        cli,
        'state',
        'migrate',
        '-config',
        join(local, 'drover.hcl'),
        '-to',
        'postgres',
        '-to-url',
        url,
      ],
      { cwd: local },
    );
    log(`migrated the state to postgres in ${Math.round(migrated.wallMs)} ms`);

    const measured = { local: [], postgres: [] };
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['local', 'postgres'] : ['postgres', 'local'];
      for (const backend of order) {
        const project = backend === 'local' ? local : pg;
        const m = await measureCommand(
          process.execPath,
          [
            cli,
            'plan',
            '-detailed-exitcode',
            '-refresh=false',
            '-config',
            join(project, 'drover.hcl'),
            join(project, 'jobs'),
          ],
          { cwd: project, okCodes: [0, 2] },
        );
        if (m.code !== 0)
          throw new Error(`plan on ${backend} found changes in an unchanged project`);
        measured[backend].push(m);
        log(`run ${i + 1}/${runs} ${backend}: ${Math.round(m.wallMs)} ms`);
      }
    }
    const planRow = (backend) => ({
      what: `drover plan -refresh=false, ${backend} state`,
      size: jobs,
      ms: median(measured[backend].map((m) => m.wallMs)),
      cpuMs: median(measured[backend].map((m) => m.cpuMs)),
    });
    const localPlan = planRow('local');
    const pgPlan = planRow('postgres');
    const planRatio = pgPlan.ms / localPlan.ms;

    // Write cost against state size, in this process through the built store.
    const { PostgresStateStore } = await import(
      pathToFileURL(join(root, 'dist/src/state/postgres/store.js')).href
    );
    const { newLockInfo } = await import(pathToFileURL(join(root, 'dist/src/state/store.js')).href);
    const big = new PostgresStateStore({ url });
    const full = await big.read();
    await big.close();
    const small = subset(full, 10);
    const writeRows = [];
    for (const [label, state] of [
      ['10 jobs', small],
      [`${jobs} jobs`, full],
    ]) {
      const schema = `bench_${label.split(' ')[0]}`;
      const store = new PostgresStateStore({ url, schema });
      await store.replace(state, { force: true });
      const lock = await store.lock(newLockInfo('bench'), { timeoutMs: 0 });
      let cur = await store.read();
      const times = [];
      const allocId = Object.keys(cur.allocations)[0];
      for (let i = 0; i < writes; i++) {
        const a = cur.allocations[allocId];
        const next = {
          ...cur,
          allocations: {
            ...cur.allocations,
            [allocId]: { ...a, modified_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() },
          },
          events: [
            ...cur.events,
            {
              seq: cur.events.length + 1,
              time: a.created_at,
              who: 'bench@host',
              what: 'alloc.health',
              detail: `write ${i}`,
            },
          ],
        };
        const t = performance.now();
        cur = await store.write(next, cur.serial);
        times.push(performance.now() - t);
      }
      await lock.release();
      await store.close();
      writeRows.push({
        what: `one small state write, postgres, ${label}`,
        size: Object.keys(state.jobs).length,
        ms: median(times),
        cpuMs: NaN,
      });
      log(`${label}: median write ${median(times).toFixed(2)} ms`);
    }
    const writeRatio = writeRows[1].ms / writeRows[0].ms;

    return {
      name,
      title: `Benchmark "${name}": the postgres state backend vs the local file`,
      columns: [
        { key: 'what', label: 'what', align: 'left' },
        { key: 'size', label: 'jobs' },
        { key: 'ms', label: 'median ms', format: (v) => v.toFixed(v < 10 ? 2 : 0) },
      ],
      rows: [localPlan, pgPlan, ...writeRows],
      notes: [
        `plan: whole \`node bin/drover.js plan\` processes, median of ${runs}, alternating order; ` +
          `postgres/local = ${planRatio.toFixed(2)}× (PostgreSQL ${server.url.replace(/\/\/.*@/, '//')} on this machine, default durability).`,
        `writes: ${writes} writes of one changed allocation and one new event each, under the lock, ` +
          `through PostgresStateStore; ${jobs} jobs / 10 jobs = ${writeRatio.toFixed(2)}× ` +
          '(a write sends only the rows that changed).',
      ],
      goals: [
        {
          text: `plan on postgres within ${PLAN_RATIO_GOAL}× of local`,
          met: planRatio <= PLAN_RATIO_GOAL,
        },
        {
          text: `a small write on a ${jobs}-job state within ${WRITE_RATIO_GOAL}× of one on a 10-job state`,
          met: writeRatio <= WRITE_RATIO_GOAL,
        },
      ],
      data: { jobs, runs, writes, planRatio, writeRatio },
    };
  } finally {
    await server.stop();
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The first `n` jobs of a state with their allocations and deployments. */
function subset(state, n) {
  const ids = new Set(Object.keys(state.jobs).slice(0, n));
  const pick = (m) => Object.fromEntries(Object.entries(m).filter(([, v]) => ids.has(v.job)));
  return {
    ...state,
    jobs: Object.fromEntries(Object.entries(state.jobs).filter(([id]) => ids.has(id))),
    allocations: pick(state.allocations),
    deployments: pick(state.deployments),
    events: state.events
      .filter((e) => e.job === undefined || ids.has(e.job))
      .map((e, i) => ({ ...e, seq: i + 1 })),
  };
}
