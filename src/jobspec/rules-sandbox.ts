/**
 * Where a template or artifact may be written: inside the task's sandbox. Nomad's rules are
 * two. Validate (structs.go `(*Template).Validate`, `(*TaskArtifact).Validate`) refuses a
 * relative destination that leaves the allocation directory
 * (`escapingfs.PathEscapesAllocViaRelative("task", dest)`). The client then interpolates it
 * (`taskenv.ClientPath`) and refuses one that lands outside both the task directory and the
 * shared `alloc/` directory ("template destination path escapes alloc directory"). drover judges
 * both at validate where the value is known, interpolating what is known before any node is
 * chosen (the task's directories, names and meta); a value that needs the node is judged at plan.
 *
 * An absolute template destination Nomad joins to the task directory ("/etc/x" becomes
 * `<task>/etc/x`); drover writes a template only at an absolute path inside the allocation
 * directory (`/local`, `/secrets`, `/alloc`, as a container sees them), so other absolute
 * paths are a refusal: validate warns, plan and apply refuse the job at the line.
 */
import { posix } from 'node:path';

export type SandboxVerdict =
  | { kind: 'ok' }
  /** Not known before a node is chosen: judged at plan. */
  | { kind: 'runtime' }
  /** Nomad refuses it (at validate, or every time the task starts). */
  | { kind: 'error'; summary: string; detail: string }
  /** Nomad accepts it, drover does not write there: plan and apply refuse. */
  | { kind: 'refusal'; summary: string; detail: string };

/** The environment known before placement: `${NOMAD_TASK_DIR}` and the like, by name. */
export type KnownEnv = Readonly<Record<string, string>>;

/** The task directories as a container task sees them (the same relative places on a host). */
const DIRS: KnownEnv = {
  NOMAD_ALLOC_DIR: '/alloc',
  NOMAD_TASK_DIR: '/local',
  NOMAD_SECRETS_DIR: '/secrets',
};

/** The known environment of a task: its directories, names, and meta (job < group < task). */
export function knownTaskEnv(names: {
  job: string;
  group: string;
  task: string;
  meta: Readonly<Record<string, string | undefined>>;
}): KnownEnv {
  const env: Record<string, string> = {
    ...DIRS,
    NOMAD_JOB_ID: names.job,
    NOMAD_JOB_NAME: names.job,
    NOMAD_GROUP_NAME: names.group,
    NOMAD_TASK_NAME: names.task,
  };
  for (const [k, v] of Object.entries(names.meta)) if (v !== undefined) env[`NOMAD_META_${k}`] = v;
  return env;
}

/** `${NAME}` and `${env["NAME"]}` replaced from `env`; undefined while one is unknown. */
function interpolate(value: string, env: KnownEnv): string | undefined {
  let unknown = false;
  const out = value.replace(
    /\$\{\s*(?:env\[\s*"([^"]+)"\s*\]|([A-Za-z_][\w.-]*))\s*\}/g,
    (_m, a, b) => {
      const name = (a ?? b) as string;
      if (!Object.hasOwn(env, name)) unknown = true;
      return env[name] ?? '';
    },
  );
  return unknown || out.includes('${') ? undefined : out;
}

/** Nomad's escapingfs.PathEscapesAllocViaRelative("task", path), on a relative path. */
function leavesAllocDir(path: string): boolean {
  const full = posix.normalize(`/alloc-dir/alloc-id/task/${path}`);
  return full !== '/alloc-dir/alloc-id' && !full.startsWith('/alloc-dir/alloc-id/');
}

/** Whether a path relative to the allocation directory is inside `<task>/` or `alloc/`. */
function inTaskOrShared(fromAlloc: string): boolean {
  return /^(task|alloc)(\/|$)/.test(fromAlloc);
}

/** The verdict on a template's or artifact's destination as written. */
export function destinationVerdict(
  what: 'template' | 'artifact',
  written: string,
  env: KnownEnv,
): SandboxVerdict {
  const dest = interpolate(written, env);
  if (dest === undefined) return { kind: 'runtime' };
  const shown =
    dest === written
      ? JSON.stringify(written)
      : `${JSON.stringify(written)} (${JSON.stringify(dest)})`;
  if (!posix.isAbsolute(dest)) {
    if (leavesAllocDir(dest))
      return {
        kind: 'error',
        summary: 'destination escapes allocation directory',
        detail: `${shown} is relative to the task directory and may not leave the allocation's directory.`,
      };
    const fromAlloc = posix.normalize(`task/${dest}`);
    return inTaskOrShared(fromAlloc)
      ? { kind: 'ok' }
      : {
          kind: 'error',
          summary: `${what} destination path escapes alloc directory`,
          detail: `${shown} lands in the allocation directory outside the task's directory and the shared alloc/ directory; Nomad's client refuses it when the task starts. Write under "local/", "secrets/" or "../alloc/".`,
        };
  }
  // Absolute: inside the task's own directories (as a container sees them), or outside.
  const normal = posix.normalize(dest);
  const mount = /^\/(local|secrets|alloc)(\/|$)/.exec(normal);
  if (mount) return { kind: 'ok' };
  if (what === 'artifact') return { kind: 'ok' }; // Joined to the task directory, as Nomad does.
  return {
    kind: 'refusal',
    summary: 'template destination outside the allocation directory',
    detail: `${shown} is an absolute path outside the task's directories. Nomad writes it inside the task directory (at <task dir>${normal}); drover writes templates only in the allocation directory, so plan and apply refuse the job. Write it relative to the task directory, like "local/${posix.basename(normal)}", or under /local, /secrets or /alloc.`,
  };
}
