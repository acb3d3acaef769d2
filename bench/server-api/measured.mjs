// Runs drover's CLI (`node --expose-gc measured.mjs CLI args…`) in a process the bench can ask,
// over the IPC channel, for its memory after a forced full GC: RSS says little about what open
// streams hold (freed heap stays resident, and a GC during the run can make it shrink), the live
// heap and external memory after a GC do.
const [cli, ...args] = process.argv.slice(2);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
if (!process.send) throw new Error('run with an IPC channel (stdio "ipc")');

process.on('message', (m) => {
  if (m?.type !== 'memory') return;
  // Twice: the first pass's finalizers free more for the second.
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, external, rss } = process.memoryUsage();
  process.send({ type: 'memory', id: m.id, heapUsed, external, rss });
});
// The channel does not keep the server running once it has stopped.
process.channel?.unref();

process.argv = [process.argv[0], cli, ...args];
await import(new URL(cli, 'file:///').href);
