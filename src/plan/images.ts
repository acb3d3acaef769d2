/**
 * The images a plan moves to nodes (`Plan.images`): how they are ordered, shown and folded into
 * a sealed plan. Pure; `src/ops/images.ts` finds them and copies them.
 */
import type { ImageTransfer, Plan } from '../generated/plan.js';
import { SENSITIVE_TEXT } from '../jobspec/sensitive.js';
import { naturalCompare } from './diff.js';
import { sealPlan } from './hash.js';

/** The plan with `images` set (sorted, absent when empty) and its hash computed again. */
export function withImageTransfers(plan: Plan, images: readonly ImageTransfer[]): Plan {
  const { hash: _old, images: _prior, ...rest } = plan;
  const sorted = [...images].sort(
    (a, b) =>
      naturalCompare(a.node, b.node) ||
      naturalCompare(a.image, b.image) ||
      naturalCompare(a.engine, b.engine),
  );
  return sealPlan(sorted.length ? { ...rest, images: sorted } : rest);
}

/** The plan text's lines for its images; none when there are none. */
export function renderImageTransfers(images: readonly ImageTransfer[] | undefined): string[] {
  if (!images?.length) return [];
  return [
    'Images:',
    ...images.map((i) =>
      i.action === 'copy'
        ? `  image ${quote(i.image)} (${shortId(i.id ?? '')}, ${formatBytes(i.size ?? 0)}) is copied to node ${JSON.stringify(i.node)}${engineNote(i)}`
        : `  image ${quote(i.image)} is on neither node ${JSON.stringify(i.node)} nor this machine: the node pulls it${engineNote(i)}`,
    ),
  ];
}

/** A name in quotes; a sensitive one reads bare, as in the job's diff. */
function quote(image: string): string {
  return image === SENSITIVE_TEXT ? image : JSON.stringify(image);
}

/** Which engines, when it is not Docker's on both sides. */
function engineNote(i: ImageTransfer): string {
  if (i.action === 'copy' && (i.engine !== 'docker' || i.source !== 'docker'))
    return ` (${i.source} here → ${i.engine} there)`;
  return i.engine === 'docker' ? '' : ` (${i.engine})`;
}

/** `sha256:` and the first 12 hex digits, as `docker images` shows ids. */
export function shortId(id: string): string {
  return id.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1');
}

/** Bytes as Docker shows sizes (powers of 1000): `812 B`, `4.2 kB`, `45 MB`, `1.3 GB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
