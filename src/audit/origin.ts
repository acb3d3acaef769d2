/** A job version's origin in words, as `job history` shows it. Pure. */
import type { VersionOrigin } from '../state/types.js';

export function describeOrigin(origin: VersionOrigin | undefined): string {
  if (!origin) return '(not recorded)';
  const why = origin.reason ? `: ${origin.reason}` : '';
  switch (origin.kind) {
    case 'file':
      return `applied from ${origin.file ?? 'a file'}`;
    case 'rollback':
      return `rollback to version ${origin.source_version ?? '?'} (from version ${origin.reverted_from ?? '?'})${why}`;
    case 'auto-revert':
      return `auto-revert from version ${origin.reverted_from ?? '?'} (to version ${origin.source_version ?? '?'})${why}`;
    case 'scale':
      return origin.detail ? `scale: ${origin.detail}` : 'scale';
    case 'dispatch':
      return 'dispatch (drover job dispatch)';
    case 'periodic':
      return 'periodic launch';
  }
}
