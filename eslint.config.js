// Type-checked lint over all TypeScript in the repository, and the dependency rules between its
// layers (docs/architecture.md, "Dependency rules"; import cycles: scripts/check-deps.mjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node modules that reach outside the process: files, processes, the network, the host. */
const IO_MODULES = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'tls',
  'http',
  'https',
  'dgram',
  'os',
  'process',
  'worker_threads',
].flatMap((m) => [m, `node:${m}`]);
/** Clients of hosts and databases: only providers/, state/ backends and the edges use them. */
const IO_PACKAGES = ['dockerode', 'ssh2', 'pg'];

/** An import of a folder of src/ (or providers/), by a relative path from anywhere. */
const folder = (name, except) => ({
  regex: `(^|/)${name}/${except ? `(?!${except}$)` : ''}`,
  message: `this layer must not import ${name}/${except ? ` (except ${except})` : ''}: see docs/architecture.md, "Dependency rules".`,
});
const TESTS = {
  regex: '(^|/)(test|bench)/',
  message: 'product code must not import tests or benchmarks.',
};

/**
 * One layer's rules: the folders it must not import, and whether it must stay pure (no I/O
 * modules or packages, no `process`, no dynamic import).
 */
function layer(files, { forbid, pure = false, ignores = [] }) {
  const io = pure
    ? [...IO_MODULES, ...IO_PACKAGES].map((name) => ({
        name,
        message:
          'a pure layer does no I/O and reads no environment: take what you need as a parameter from the edge (docs/architecture.md).',
      }))
    : [];
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', { paths: io, patterns: [...forbid, TESTS] }],
      ...(pure
        ? {
            'no-restricted-globals': [
              'error',
              {
                name: 'process',
                message:
                  'a pure layer reads no process state (process.env, cwd): the edge passes it in (docs/architecture.md).',
              },
            ],
            'no-restricted-syntax': [
              'error',
              {
                selector: 'ImportExpression',
                message: 'a pure layer loads no modules at run time.',
              },
            ],
          }
        : {}),
    },
  };
}

const ABOVE_JOBSPEC = [
  'config',
  'state',
  'scheduler',
  'plan',
  'deploy',
  'ops',
  'cli',
  'server',
  'providers',
  'io',
];
const ABOVE_PLAN = ['config', 'deploy', 'ops', 'cli', 'server', 'providers', 'io'];

/** Who may import whom. Pure layers: everything before the operations layer in the pipeline. */
const layers = [
  layer(['src/diag/**'], {
    pure: true,
    forbid: ['hcl', 'jobspec', 'generated', ...ABOVE_JOBSPEC].map((f) => folder(f)),
  }),
  layer(['src/hcl/**'], {
    pure: true,
    forbid: ['jobspec', 'generated', ...ABOVE_JOBSPEC].map((f) => folder(f)),
  }),
  layer(['src/jobspec/**'], { pure: true, forbid: ABOVE_JOBSPEC.map((f) => folder(f)) }),
  layer(['src/scheduler/**'], {
    pure: true,
    forbid: [...ABOVE_PLAN, 'plan'].map((f) => folder(f)).concat(folder('state', 'types\\.js')),
  }),
  layer(['src/plan/**'], {
    pure: true,
    ignores: ['src/plan/planfile.ts'],
    forbid: ABOVE_PLAN.map((f) => folder(f)).concat(folder('state', 'types\\.js')),
  }),
  // The planfile is the plan layer's one file with I/O: it writes and reads plan files.
  layer(['src/plan/planfile.ts'], {
    forbid: ABOVE_PLAN.map((f) => folder(f)).concat(folder('state', 'types\\.js')),
  }),
  layer(['src/state/**'], {
    forbid: ['config', 'scheduler', 'plan', 'deploy', 'ops', 'cli', 'server', 'providers'].map(
      (f) => folder(f),
    ),
  }),
  layer(['src/config/**'], {
    forbid: ['state', 'scheduler', 'plan', 'deploy', 'ops', 'cli', 'server', 'providers'].map((f) =>
      folder(f),
    ),
  }),
  layer(['providers/**'], {
    forbid: ['scheduler', 'plan', 'deploy', 'ops', 'cli', 'server', 'io']
      .map((f) => folder(f))
      .concat(folder('config', 'node-spec\\.js'), folder('state', 'types\\.js')),
  }),
  layer(['src/deploy/**'], { forbid: ['ops', 'cli', 'server'].map((f) => folder(f)) }),
  layer(['src/ops/**'], { forbid: ['cli', 'server'].map((f) => folder(f)) }),
  layer(['src/cli/**', 'src/server/**', 'src/io/**', 'src/*.ts'], { forbid: [] }),
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'src/generated/**',
      'coverage/**',
      'bin/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  ...layers,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
