// A real `drover server` process: started on a drover.hcl with any free port, waited for until it
// prints its listening line, measured through /proc, stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LISTENING = /drover server listening on (https?:\/\/\S+)/;

export function startServer(cli, config, { timeoutMs = 60_000 } = {}) {
  const child = spawn(process.execPath, [cli, 'server', '-config', config, '-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8192)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`drover server did not say it was listening within ${timeoutMs} ms:\n${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`drover server exited (${code}) before listening:\n${stdout}${stderr}`));
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = LISTENING.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: m[1],
        pid: child.pid,
        rssKB: () => rssKB(child.pid),
        stop: () => stop(child),
      });
    });
  });
}

/** The resident set of a process now (VmRSS), in KB. */
export function rssKB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
