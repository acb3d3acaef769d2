/**
 * The task lifecycle's pure rules: which phase a task starts in, the order tasks stop in, and
 * what task statuses say about an allocation (Nomad's rules for hooks).
 */
import { describe, expect, it } from 'vitest';
import {
  judgeAlloc,
  phasesOf,
  prestartProgress,
  stopOrder,
  taskLabel,
  type Hook,
} from '../../src/deploy/lifecycle.js';
import type { TaskStatus } from '../../providers/types.js';

interface T {
  name: string;
  lifecycle?: { hook: Hook; sidecar?: boolean };
  leader?: boolean;
}

const main = (name: string, leader = false): T => ({ name, ...(leader ? { leader } : {}) });
const hook = (name: string, h: Hook, sidecar = false): T => ({
  name,
  lifecycle: { hook: h, sidecar },
});

const running: TaskStatus = { state: 'running', failed: false, restarts: 0 };
const pending: TaskStatus = { state: 'pending', failed: false, restarts: 0 };
const exited = (code: number): TaskStatus => ({
  state: 'dead',
  failed: code !== 0,
  exitCode: code,
  restarts: 0,
});
const gone: TaskStatus = { state: 'missing', failed: true, restarts: 0 };

const group = [
  hook('migrate', 'prestart'),
  hook('logs', 'prestart', true),
  main('web', true),
  main('worker'),
  hook('announce', 'poststart'),
  hook('proxy', 'poststart', true),
  hook('cleanup', 'poststop'),
];

const names = (ts: readonly T[]) => ts.map((t) => t.name);

describe('phasesOf', () => {
  it('puts each task in the phase its hook names, main tasks without one, in group order', () => {
    const p = phasesOf(group);
    expect(names(p.prestart)).toEqual(['migrate', 'logs']);
    expect(names(p.main)).toEqual(['web', 'worker']);
    expect(names(p.poststart)).toEqual(['announce', 'proxy']);
    expect(names(p.poststop)).toEqual(['cleanup']);
  });

  it('has only main tasks for a group without hooks', () => {
    const p = phasesOf([main('a'), main('b')]);
    expect([p.prestart, p.poststart, p.poststop]).toEqual([[], [], []]);
    expect(names(p.main)).toEqual(['a', 'b']);
  });
});

describe('stopOrder', () => {
  it('stops the leader, then the other tasks, then the sidecars; poststop tasks are not in it', () => {
    expect(stopOrder(group).map(names)).toEqual([
      ['web'],
      ['migrate', 'worker', 'announce'],
      ['logs', 'proxy'],
    ]);
  });

  it('leaves out empty waves', () => {
    expect(stopOrder([main('a'), main('b')]).map(names)).toEqual([['a', 'b']]);
  });
});

describe('taskLabel', () => {
  it('names the hook and sidecar', () => {
    expect(group.map(taskLabel)).toEqual([
      'prestart task "migrate"',
      'prestart sidecar task "logs"',
      'task "web"',
      'task "worker"',
      'poststart task "announce"',
      'poststart sidecar task "proxy"',
      'poststop task "cleanup"',
    ]);
  });
});

describe('prestartProgress', () => {
  const prestart = [hook('migrate', 'prestart'), hook('logs', 'prestart', true)];
  const of = (m: TaskStatus, l: TaskStatus) =>
    prestartProgress(
      prestart,
      new Map([
        ['migrate', m],
        ['logs', l],
      ]),
    );

  it('waits while an ephemeral task runs or a task is still starting', () => {
    expect(of(running, running)).toEqual({ state: 'waiting', completed: [] });
    expect(of(exited(0), pending)).toEqual({ state: 'waiting', completed: ['migrate'] });
  });

  it('is done when the ephemeral task exited 0 and the sidecar runs', () => {
    expect(of(exited(0), running)).toEqual({ state: 'done', completed: ['migrate'] });
  });

  it('fails on a non-zero exit, a gone task, or a sidecar that ended (even with 0)', () => {
    expect(of(exited(2), running)).toMatchObject({ state: 'failed', task: 'migrate' });
    expect(of(gone, running)).toMatchObject({ state: 'failed', task: 'migrate' });
    expect(of(exited(0), exited(0))).toMatchObject({
      state: 'failed',
      task: 'logs',
      completed: ['migrate'],
    });
  });
});

describe('judgeAlloc', () => {
  const statuses = (entries: Record<string, TaskStatus>) => new Map(Object.entries(entries));
  const service = { batch: false };
  const batch = { batch: true };
  const serving = {
    migrate: exited(0),
    logs: running,
    web: running,
    worker: running,
    announce: exited(0),
    proxy: running,
  };

  it('a service allocation runs when its main tasks and sidecars run; completed hooks and an unstarted poststop count for nothing', () => {
    expect(judgeAlloc(group, statuses(serving), service)).toEqual({ state: 'running' });
  });

  it('an ephemeral hook still running does not keep a service allocation from running', () => {
    expect(judgeAlloc(group, statuses({ ...serving, announce: running }), service)).toEqual({
      state: 'running',
    });
  });

  it('is pending while a task that must run has not started', () => {
    const { proxy: _, ...noProxy } = serving;
    expect(judgeAlloc(group, statuses(noProxy), service)).toEqual({ state: 'pending' });
    expect(judgeAlloc(group, statuses({ ...serving, web: pending }), service)).toEqual({
      state: 'pending',
    });
  });

  it('fails on any task that failed, hooks included, naming it', () => {
    expect(judgeAlloc(group, statuses({ ...serving, migrate: exited(1) }), service)).toMatchObject({
      state: 'failed',
      task: 'migrate',
    });
    expect(judgeAlloc(group, statuses({ ...serving, logs: exited(3) }), service)).toMatchObject({
      state: 'failed',
      task: 'logs',
    });
    expect(judgeAlloc(group, statuses({ ...serving, worker: gone }), service)).toMatchObject({
      state: 'failed',
      task: 'worker',
    });
  });

  it('says which main task or sidecar of a service ended with 0', () => {
    expect(judgeAlloc(group, statuses({ ...serving, proxy: exited(0) }), service)).toMatchObject({
      state: 'complete',
      task: 'proxy',
    });
  });

  it('a batch allocation completes when every task but the sidecars ended with 0', () => {
    const done = { ...serving, web: exited(0), worker: exited(0) };
    expect(judgeAlloc(group, statuses(done), batch)).toEqual({ state: 'complete' });
    // A main task or an ephemeral hook still at work keeps it going.
    expect(judgeAlloc(group, statuses({ ...done, worker: running }), batch)).toEqual({
      state: 'pending',
    });
    expect(judgeAlloc(group, statuses({ ...done, announce: running }), batch)).toEqual({
      state: 'pending',
    });
    expect(judgeAlloc(group, statuses({ ...done, web: exited(4) }), batch)).toMatchObject({
      state: 'failed',
      task: 'web',
    });
  });

  it('a poststop task that ran counts only when it failed', () => {
    const done = { ...serving, web: exited(0), worker: exited(0) };
    expect(judgeAlloc(group, statuses({ ...done, cleanup: exited(0) }), batch)).toEqual({
      state: 'complete',
    });
    expect(judgeAlloc(group, statuses({ ...done, cleanup: exited(1) }), batch)).toMatchObject({
      state: 'failed',
      task: 'cleanup',
    });
  });

  it('counts a task the job no longer describes as a main task', () => {
    expect(judgeAlloc([], statuses({ old: running }), service)).toEqual({ state: 'running' });
    expect(judgeAlloc([], statuses({ old: exited(0) }), service)).toMatchObject({
      state: 'complete',
      task: 'old',
    });
  });
});
