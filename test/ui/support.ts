/**
 * What the browser tests share: a state directory with real raw_exec jobs, a real
 * `drover server` on it, the built UI, and Debian's chromium driven by playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { drover } from '../e2e/cli.js';
import { startServerProcess, type ServerProcess } from '../server/core/process.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

/** Builds the UI (vite) so the tests see the current source. */
export function buildUi(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/** A long-running service printing a line a second to stdout and to stderr. */
export function webJob(version: string, count = 2, canary = 0): string {
  return `job "web" {
  update {
    max_parallel     = 1
    canary           = ${canary}
    min_healthy_time = "2s"
    healthy_deadline = "1m"
    auto_promote     = false
  }
  group "app" {
    count = ${count}
    network {
      port "http" {}
    }
    service {
      name     = "web"
      port     = "http"
      provider = "nomad"
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "i=0; while true; do i=$((i+1)); echo \\"hello ${version} line $i\\"; echo \\"warn ${version} $i\\" >&2; sleep 0.5; done"]
      }
      resources {
        cpu    = 200
        memory = 64
      }
    }
  }
}
`;
}

export const BROKEN_JOB = `job "broken" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo starting the import; echo disk full on /data >&2; exit 3"]
      }
    }
  }
}
`;

export const PARAMS_JOB = `job "report" {
  type = "batch"
  parameterized {
    meta_required = ["customer"]
    payload       = "optional"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo report for $NOMAD_META_customer"]
      }
    }
  }
}
`;

export const PERIODIC_JOB = `job "nightly" {
  type = "batch"
  periodic {
    crons            = ["0 3 * * *"]
    prohibit_overlap = true
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
    }
  }
}
`;

export interface Fixture {
  dir: string;
  /** Writes `text` to `<dir>/<name>.nomad.hcl` and answers the path. */
  file(name: string, text: string): string;
  run(args: string[]): ReturnType<typeof drover>;
  cleanup(): void;
}

/** A state directory on the local node, with `extra` lines appended to its drover.hcl. */
export function fixture(extra = ''): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'drover-ui-'));
  writeFileSync(
    join(dir, 'drover.hcl'),
    `node "local" {\n  transport  = "local"\n  alloc_root = "${join(dir, 'alloc')}"\n}\n` +
      `server {\n  name = "ui"\n}\n${extra}`,
  );
  return {
    dir,
    file(name, text) {
      const path = join(dir, `${name}.nomad.hcl`);
      writeFileSync(path, text);
      return path;
    },
    run: (args) => drover(dir, args),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Applies `text` as job `name` from the CLI and checks it did what it was asked. */
export async function applyJob(f: Fixture, name: string, text: string, codes = [0]): Promise<void> {
  const r = await f.run(['apply', '-auto-approve', f.file(name, text)]);
  if (!codes.includes(r.code))
    throw new Error(`apply ${name} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
}

/** Stops and purges every job the tests ran, so no task outlives them. */
export async function stopJobs(f: Fixture, ids: string[]): Promise<void> {
  for (const id of ids) await f.run(['stop', '-auto-approve', '-purge', id]);
}

/**
 * Where the browser opens the UI: the server itself, which serves dist/ui at /ui/ (the API on
 * the same origin, as users reach it). Fails when the server answers /ui/ with anything but the
 * UI's page.
 */
export async function uiOrigin(
  server: ServerProcess,
): Promise<{ url: string; close(): Promise<void> }> {
  const probe = await fetch(`${server.url}/ui/`);
  const body = await probe.text();
  if (!probe.ok || !body.includes('<div id="app">'))
    throw new Error(
      `the server does not serve the web UI at /ui/: ${probe.status} ${body.slice(0, 200)}`,
    );
  return { url: server.url, close: async () => {} };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A browser context already signed in: the token or name stored as the sign-in page stores it. */
export async function signedIn(
  browser: Browser,
  origin: string,
  who: { token?: string; actor?: string },
  options: { colorScheme?: 'light' | 'dark'; width?: number } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1280, height: 900 },
  });
  // Page code: stores the session as the sign-in page would, unless the page changed it.
  await context.addInitScript(`
    if (localStorage.getItem('drover.token') === null)
      localStorage.setItem('drover.token', ${JSON.stringify(who.token ?? '')});
    if (localStorage.getItem('drover.actor') === null)
      localStorage.setItem('drover.actor', ${JSON.stringify(who.actor ?? '')});
  `);
  const page = await context.newPage();
  return { context, page };
}

export { startServerProcess, type ServerProcess };
