// A real `drover server` process: started on a drover.hcl with any free port, waited for until it
// prints its listening line, measured through /proc and (after a forced GC) its own heap,
// stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const LISTENING = /drover server listening on (https?:\/\/\S+)/;

const MEASURED = fileURLToPath(new URL('./measured.mjs', import.meta.url));

export function startServer(cli, config, { timeoutMs = 60_000 } = {}) {
  // Under measured.mjs, with --expose-gc: `memory()` asks it for its heap after a full GC.
  const child = spawn(
    process.execPath,
    ['--expose-gc', MEASURED, cli, 'server', '-config', config, '-port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
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
        memory: () => memory(child),
        stop: () => stop(child),
      });
    });
  });
}

let asked = 0;

/** The server's heap and external memory (and RSS), in bytes, sampled right after a full GC. */
function memory(child) {
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('drover server did not answer a memory sample within 30 s'));
    }, 30_000);
    function onMessage(m) {
      if (m?.type !== 'memory' || m.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ heapUsed: m.heapUsed, external: m.external, rss: m.rss });
    }
    child.on('message', onMessage);
    child.send({ type: 'memory', id });
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
