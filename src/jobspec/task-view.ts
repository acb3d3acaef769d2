/**
 * A task field by field, as applied and as found on its host: what a driver's `inspectTask`
 * returns and drift (`plan/drift.ts`) compares. Defined here, below both, as `ChangeClass` is.
 */

/**
 * A task field by field, as drift compares it: as applied or as found. Lists are sorted and
 * written out (`8080/tcp -> 127.0.0.1:23456`, `/src:/dst:ro`) so equal settings read equal.
 * A field left undefined on the applied side is not compared (the image's default command).
 */
export interface TaskView {
  image?: string;
  /** `sha256:…` of the image. */
  imageId?: string;
  /** Containers: Cmd; processes: the command line. */
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  ports?: string[];
  mounts?: string[];
  labels?: Record<string, string>;
  /** Containers: the memory limit in bytes and the CPU shares, as `docker update` changes them. */
  memory?: number;
  cpuShares?: number;
}

/** What a driver found of one task on its host. */
export interface FoundTask extends TaskView {
  /** The container id or the pid: what was found. */
  id: string;
  running: boolean;
  /** `running`, `exited`, … in the driver's words. */
  state: string;
}

export interface TaskObservation {
  /** `container` or `process`: what the task is on its host, for messages. */
  kind: 'container' | 'process';
  applied: TaskView & { id?: string };
  /** Undefined when nothing of the task is on its host. */
  found?: FoundTask;
  /**
   * Nothing runs, but the task's supervisor is alive and waits out its restart delay: the task
   * is between two runs as its restart policy says, not changed by hand.
   */
  restarting?: true;
  /**
   * Environment and labels the found task has from elsewhere (its image's `ENV` and `LABEL`):
   * not added by hand. Absent: keys beyond the applied ones are not compared (processes inherit
   * the environment of the session that started them).
   */
  inherited?: { env: Record<string, string>; labels: Record<string, string> };
}
