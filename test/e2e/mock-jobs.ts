/** A service job on the mock driver, as the CLI end-to-end tests write one. */
export interface MockJobOptions {
  count?: number;
  /** Job meta, written as a map (drover's keys have dots: drover.after, drover.wave). */
  meta?: Record<string, string>;
  /** Every allocation fails to start with this message (no restarts, no reschedules). */
  startError?: string;
  autoRevert?: boolean;
  /** How long each allocation must stay healthy before the deployment succeeds (default 0s). */
  minHealthy?: string;
}

export function mockJob(id: string, o: MockJobOptions = {}): string {
  const meta = Object.entries(o.meta ?? {}).map(([k, v]) => `    "${k}" = "${v}"\n`);
  return `job "${id}" {
${meta.length ? `  meta = {\n${meta.join('')}  }\n` : ''}  group "app" {
    count = ${o.count ?? 1}
    update {
      health_check      = "task_states"
      min_healthy_time  = "${o.minHealthy ?? '0s'}"
      healthy_deadline  = "30s"
      progress_deadline = "1m"
      auto_revert       = ${o.autoRevert ? 'true' : 'false'}
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "app" {
      driver = "mock"
      config {
${o.startError ? `        start_error = "${o.startError}"\n` : ''}      }
    }
  }
}
`;
}
