/**
 * A task's templates, as Nomad's template hook gives them: rendered after the artifacts are in
 * place (a `source` may come from one) and before the task starts, written to their destination
 * in the task directory with their `perms`, and, for `env = true`, read back as `KEY=value`
 * lines that join the task's environment (over its `env` stanza, as in Nomad's taskenv builder).
 * The same render runs at plan time (`planTemplates`) so a missing Variable or a failing function
 * is a plan error, and its sha256 tells a re-plan whether the file would change.
 *
 * Rendering itself is pure (src/template/); only reading a `source` and writing the files touch
 * the host, through the transport's shell. Container tasks see the task's local/ and secrets/
 * and the allocation's alloc/ mounted, so writing on the host side serves every driver.
 */
import { posix } from 'node:path';
import type { Shell, TaskContext } from '../../providers/types.js';
import { shQuote } from '../../providers/drivers/supervisor.js';
import type { NormalizedTemplate as Template } from '../generated/normalized-job.js';
import {
  parseTemplate,
  renderTemplate,
  TemplateError,
  type ServiceCatalog,
  type TemplateContext,
  type VariableReader,
} from '../template/index.js';
import { parseEnvFile } from './template-env.js';
import { sha256Hex } from '../plan/hash.js';
import { interpolate, type NodeFacts } from './taskenv.js';

/** What a render reads besides the task's environment (absent: those functions say so). */
export interface TemplateReaders {
  variables?: VariableReader;
  services?: ServiceCatalog;
  now?: () => Date;
}

/** One template of a task, rendered. */
export interface RenderedTemplate {
  template: Template;
  /** The destination as written in the jobspec, interpolated ("local/app.conf"). */
  destination: string;
  /** Where it lands on the host. */
  path: string;
  content: string;
  sha256: string;
}

/** How a template is named in messages, the plan and events. */
export function templateLabel(t: Pick<Template, 'destination'>): string {
  return `template ${JSON.stringify(t.destination ?? '')}`;
}

/** Where the container drivers mount the directories a task sees, relative to `<alloc>/<task>`. */
const CONTAINER_DIRS: [string, string][] = [
  ['/alloc', '../alloc'],
  ['/local', 'local'],
  ['/secrets', 'secrets'],
];

/**
 * The host path of a template's destination (or source): relative to the task directory
 * `<alloc>/<task>` as Nomad resolves it, or an absolute path inside the allocation directory
 * (what `${NOMAD_SECRETS_DIR}/x` becomes for a process task; `/secrets/x` for a container task).
 * Nothing may land outside the allocation directory.
 */
export function taskPath(allocDir: string, task: string, path: string, what: string): string {
  let rel = path;
  if (path.startsWith('/') && !path.startsWith(`${allocDir}/`)) {
    const mount = CONTAINER_DIRS.find(([dir]) => path === dir || path.startsWith(`${dir}/`));
    if (!mount) throw new Error(`${what} ${JSON.stringify(path)} escapes the allocation directory`);
    rel = mount[1] + path.slice(mount[0].length);
  }
  const full = posix.resolve(posix.join(allocDir, task), rel);
  if (!full.startsWith(`${allocDir}/`))
    throw new Error(`${what} ${JSON.stringify(path)} escapes the allocation directory`);
  return full;
}

/** Where a template is written on the host: its destination, interpolated, in the task directory. */
export function templateTarget(
  ctx: Pick<TaskContext, 'allocDir' | 'task' | 'env'>,
  t: Pick<Template, 'destination'>,
): string {
  return taskPath(
    ctx.allocDir,
    ctx.task.name,
    inEnv(t.destination ?? '', ctx),
    `${templateLabel(t)}: destination`,
  );
}

/** The file mode of `perms` (Nomad's default 0644). */
export function templateMode(t: Pick<Template, 'perms'>): number {
  return t.perms ? parseInt(t.perms, 8) : 0o644;
}

/**
 * Renders one template's text against the task's context; throws naming the template and the
 * line and column inside its text.
 */
export function renderTemplateText(t: Template, text: string, ctx: TemplateContext): string {
  try {
    const parsed = parseTemplate(text, {
      name: t.destination ?? 'template',
      leftDelim: t.left_delimiter || '{{',
      rightDelim: t.right_delimiter || '}}',
    });
    return renderTemplate(parsed, ctx, { errMissingKey: t.error_on_missing_key });
  } catch (err) {
    if (err instanceof TemplateError)
      throw new Error(
        `${templateLabel(t)}: line ${err.line}, column ${err.column}: ${err.message}`,
        { cause: err },
      );
    throw new Error(`${templateLabel(t)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Renders every template of the task (the context's `task` already interpolated), reading
 * `source` files from the host. Throws on the first failure, naming the template.
 */
export async function renderTaskTemplates(
  ctx: TaskContext,
  readers: TemplateReaders,
): Promise<RenderedTemplate[]> {
  const templates = ctx.task.template ?? [];
  if (templates.length === 0) return [];
  const shell = hostShell(ctx);
  const tctx: TemplateContext = { env: ctx.env, ...readers };
  const out: RenderedTemplate[] = [];
  for (const t of templates) {
    const destination = t.destination ?? '';
    const path = templateTarget(ctx, t);
    const text =
      t.source !== undefined && !t.data ? await readSource(shell, ctx, t) : (t.data ?? '');
    const content = renderTemplateText(t, text, tctx);
    out.push({ template: t, destination, path, content, sha256: sha256Hex(content) });
  }
  return out;
}

/** A template's `source`, read on the host (relative to the task directory, as Nomad reads it). */
async function readSource(shell: Shell, ctx: TaskContext, t: Template): Promise<string> {
  const path = taskPath(
    ctx.allocDir,
    ctx.task.name,
    inEnv(t.source!, ctx),
    `${templateLabel(t)}: source`,
  );
  const r = await shell.run(['cat', '--', path]);
  if (r.code !== 0)
    throw new Error(
      `${templateLabel(t)}: cannot read source ${JSON.stringify(t.source)} on the host: ${r.stderr.trim() || `exit code ${r.code}`}`,
    );
  return r.stdout;
}

/** Writes rendered templates to the host with their perms (and owner, when uid/gid are set). */
export async function writeTemplates(
  ctx: TaskContext,
  rendered: readonly RenderedTemplate[],
): Promise<void> {
  if (rendered.length === 0) return;
  const shell = hostShell(ctx);
  for (const r of rendered) {
    const mode = templateMode(r.template);
    await shell.upload(r.path, r.content, mode);
    // upload creates with the umask applied to new files only; the mode must hold on a rewrite too.
    const owner = ownerOf(r.template);
    const script = [
      `chmod ${mode.toString(8)} ${shQuote(r.path)}`,
      owner ? `chown ${owner} ${shQuote(r.path)}` : '',
    ]
      .filter(Boolean)
      .join(' && ');
    const res = await shell.sh(script);
    if (res.code !== 0)
      throw new Error(
        `${templateLabel(r.template)}: cannot set the file's ${owner ? 'owner' : 'mode'}: ${res.stderr.trim() || `exit code ${res.code}`}`,
      );
  }
}

function ownerOf(t: Template): string | undefined {
  if (t.uid === undefined && t.gid === undefined) return undefined;
  return `${t.uid ?? ''}${t.gid !== undefined ? `:${t.gid}` : ''}`;
}

/** The environment the task's `env = true` templates give, later templates winning. */
export function templateEnv(rendered: readonly RenderedTemplate[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const r of rendered) {
    if (!r.template.env) continue;
    try {
      Object.assign(env, parseEnvFile(r.content));
    } catch (err) {
      throw new Error(`${templateLabel(r.template)}: environment file: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return env;
}

/** The sha256 of each rendered template, by destination: what state records per task. */
export function templateHashes(rendered: readonly RenderedTemplate[]): Record<string, string> {
  return Object.fromEntries(rendered.map((r) => [r.destination, r.sha256]));
}

/** Nomad interpolates a template's source and destination with the task's environment. */
function inEnv(path: string, ctx: Pick<TaskContext, 'env'>): string {
  return interpolate(path, { env: ctx.env, node: NO_FACTS });
}

const NO_FACTS: NodeFacts = { attributes: {}, meta: {}, name: '', datacenter: '' };

function hostShell(ctx: TaskContext): Shell {
  const shell = ctx.transport.shell;
  if (!shell)
    throw new Error(
      `node ${ctx.node.name} has no shell (docker transport), so drover cannot write the task's templates: not built yet; use the ssh or local transport for tasks with templates`,
    );
  return shell;
}
