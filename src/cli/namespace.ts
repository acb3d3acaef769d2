/**
 * The namespace a command works in, as Nomad's CLI picks it: the `-namespace` flag, else
 * DROVER_NAMESPACE, else "default". `*` (every namespace) is for commands that list.
 */
export const DEFAULT_NAMESPACE = 'default';

/** Every namespace, for listings (`drover status -namespace '*'`, `?namespace=*`). */
export const ALL_NAMESPACES = '*';

export interface NamespaceFlag {
  namespace?: string;
}

export function selectedNamespace(
  flags: NamespaceFlag,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return flags.namespace || env['DROVER_NAMESPACE'] || DEFAULT_NAMESPACE;
}
