// The java driver: config rules, the java command, `java -version` parsing, and a real JVM task
// (a jar compiled here) on this machine.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  JavaDriver,
  heapSized,
  javaArgv,
  parseJavaDetect,
  parseJavaVersion,
  validateJavaConfig,
} from '../../providers/drivers/java.js';
import { taskLayout, type ProcessTaskHandle } from '../../providers/drivers/process-common.js';
import type { TaskContext } from '../../providers/types.js';
import { driverConformance } from './driver-conformance.js';
import { Harness, freePort, isRoot, logUntil, running, text, until } from './process-harness.js';

const driver = new JavaDriver();
const h = new Harness('drover-java-', 'java');

describe('validateConfig', () => {
  it.each([
    ['a jar', { jar_path: 'local/app.jar', jvm_options: ['-Xss1m'], args: ['a'] }, []],
    ['a class on a class path', { class: 'com.example.Main', class_path: 'local/classes' }, []],
    [
      'neither a jar nor a class',
      { jvm_options: ['-Xmx64m'] },
      [
        {
          pointer: '',
          summary: 'Missing required argument',
          detail:
            'The java driver needs "jar_path" (a jar whose manifest names the main class) or "class" (a main class, found on "class_path").',
        },
      ],
    ],
    [
      'a number for jar_path',
      { jar_path: 3 },
      [
        {
          pointer: '/jar_path',
          summary: 'Incorrect attribute value type',
          detail: '"jar_path" must be a string.',
        },
      ],
    ],
    [
      'an empty class',
      { class: '' },
      [{ pointer: '/class', summary: 'Invalid value', detail: '"class" must not be empty.' }],
    ],
    [
      'jvm_options a string',
      { jar_path: 'a.jar', jvm_options: '-Xmx1g' },
      [
        {
          pointer: '/jvm_options',
          summary: 'Incorrect attribute value type',
          detail: '"jvm_options" must be a list of strings.',
        },
      ],
    ],
    [
      'numbers and bools among args (HCL makes them strings)',
      { class: 'Main', args: ['x', 1, false] },
      [],
    ],
    [
      'an object among args',
      { class: 'Main', args: ['x', { a: 1 }] },
      [
        {
          pointer: '/args/1',
          summary: 'Incorrect attribute value type',
          detail: 'Element 1 of "args" must be a string.',
        },
      ],
    ],
    [
      'a jar and a class',
      { jar_path: 'a.jar', class: 'Main' },
      [
        {
          pointer: '/class',
          severity: 'warning',
          summary: 'Class ignored',
          detail:
            'With "jar_path", java -jar runs the main class of the jar\'s manifest; "class" is passed to it as its first argument.',
        },
      ],
    ],
    [
      'a jar and a class path',
      { jar_path: 'a.jar', class_path: 'lib/*' },
      [
        {
          pointer: '/class_path',
          severity: 'warning',
          summary: 'Class path ignored',
          detail:
            'With "jar_path", java -jar ignores -cp; list other jars in the Class-Path of the jar\'s manifest instead.',
        },
      ],
    ],
    [
      'an exec key',
      { jar_path: 'a.jar', command: 'java' },
      [
        {
          pointer: '/command',
          summary: 'Unsupported argument',
          detail:
            'An argument named "command" is not expected in a java config; it takes "jar_path", "class", "class_path", "jvm_options", "args".',
        },
      ],
    ],
    [
      'a Nomad option drover does not apply',
      { jar_path: 'a.jar', ipc_mode: 'host' },
      [
        {
          pointer: '/ipc_mode',
          severity: 'warning',
          summary: 'Option not applied',
          detail:
            '"ipc_mode" is a java option of Nomad that drover accepts but does not apply: tasks share the host IPC namespace.',
        },
      ],
    ],
  ])('%s', (_name, config, problems) => {
    expect(validateJavaConfig(config)).toEqual(problems);
    expect(driver.validateConfig(config)).toEqual(problems);
  });
});

describe('javaArgv', () => {
  it.each<[string, Record<string, unknown>, number | undefined, Record<string, string>, string[]]>([
    [
      'a jar with the memory as heap',
      { jar_path: 'app.jar' },
      256,
      {},
      ['java', '-Xmx256m', '-jar', 'app.jar'],
    ],
    [
      "Nomad's order",
      {
        jar_path: 'app.jar',
        class: 'Main',
        class_path: 'lib/*',
        jvm_options: ['-Xss1m', '-Dx=y'],
        args: ['a', 'b c'],
      },
      64,
      {},
      ['java', '-Xmx64m', '-Xss1m', '-Dx=y', '-cp', 'lib/*', '-jar', 'app.jar', 'Main', 'a', 'b c'],
    ],
    [
      'a heap from the options',
      { class: 'Main', jvm_options: ['-Xmx2g'] },
      256,
      {},
      ['java', '-Xmx2g', 'Main'],
    ],
    [
      'a heap from MaxRAMPercentage',
      { class: 'Main', jvm_options: ['-XX:MaxRAMPercentage=75'] },
      256,
      {},
      ['java', '-XX:MaxRAMPercentage=75', 'Main'],
    ],
    [
      'a heap from JAVA_TOOL_OPTIONS',
      { class: 'Main' },
      256,
      { JAVA_TOOL_OPTIONS: '-Dfile.encoding=UTF-8 -Xmx1g' },
      ['java', 'Main'],
    ],
    ['no memory', { class: 'Main', args: [] }, undefined, {}, ['java', 'Main']],
  ])('%s', (_name, config, memory, env, argv) => {
    expect(javaArgv(config, memory, env)).toEqual(argv);
  });

  it('refuses a config with nothing to run', () => {
    expect(() => javaArgv({ args: ['x'] }, 64)).toThrow(
      'java: the task config has neither "jar_path" nor "class"',
    );
  });

  it.each<[string[], Record<string, string>, boolean]>([
    [['-Xms64m'], {}, false],
    [['-XX:MaxHeapSize=1g'], {}, true],
    [[], { _JAVA_OPTIONS: '-Xmx1g' }, true],
    [[], { JDK_JAVA_OPTIONS: '-XX:InitialRAMPercentage=5' }, false],
  ])('heapSized(%j, %j) = %s', (options, env, sized) => {
    expect(heapSized(options, env)).toBe(sized);
  });
});

describe('parseJavaVersion', () => {
  it.each<[string, string, [string, string, string] | undefined]>([
    [
      'OpenJDK 17 on Debian (this machine’s form)',
      'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\nOpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)\n',
      [
        '17.0.15',
        'OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)',
        'OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)',
      ],
    ],
    [
      'Oracle JDK 7',
      'java version "1.7.0_80"\nJava(TM) SE Runtime Environment (build 1.7.0_80-b15)\nJava HotSpot(TM) 64-Bit Server VM (build 24.80-b11, mixed mode)',
      [
        '1.7.0_80',
        'Java(TM) SE Runtime Environment (build 1.7.0_80-b15)',
        'Java HotSpot(TM) 64-Bit Server VM (build 24.80-b11, mixed mode)',
      ],
    ],
    [
      'a picked-up options line first',
      'Picked up _JAVA_OPTIONS: -Xmx2048m -Xms512m\nopenjdk version "11.0.1" 2018-10-16\nOpenJDK Runtime Environment 18.9 (build 11.0.1+13)\nOpenJDK 64-Bit Server VM 18.9 (build 11.0.1+13, mixed mode)',
      [
        '11.0.1',
        'OpenJDK Runtime Environment 18.9 (build 11.0.1+13)',
        'OpenJDK 64-Bit Server VM 18.9 (build 11.0.1+13, mixed mode)',
      ],
    ],
    [
      'JAVA_TOOL_OPTIONS picked up',
      'Picked up JAVA_TOOL_OPTIONS: -Dx=1\nopenjdk version "21" 2023-09-19\nOpenJDK Runtime Environment (build 21+35)\nOpenJDK 64-Bit Server VM (build 21+35, mixed mode)',
      [
        '21',
        'OpenJDK Runtime Environment (build 21+35)',
        'OpenJDK 64-Bit Server VM (build 21+35, mixed mode)',
      ],
    ],
    [
      'an unquoted version (OpenJDK on CentOS 7)',
      'openjdk 11.0.11 2021-04-20 LTS\nOpenJDK Runtime Environment 18.9 (build 11.0.11+9-LTS)\nOpenJDK 64-Bit Server VM 18.9 (build 11.0.11+9-LTS, mixed mode, sharing)',
      [
        '11.0.11',
        'OpenJDK Runtime Environment 18.9 (build 11.0.11+9-LTS)',
        'OpenJDK 64-Bit Server VM 18.9 (build 11.0.11+9-LTS, mixed mode, sharing)',
      ],
    ],
    [
      'Eclipse OpenJ9, whose VM line goes on',
      'openjdk version "1.8.0_192"\nOpenJDK Runtime Environment (build 1.8.0_192-b12_openj9)\nEclipse OpenJ9 VM (build openj9-0.11.0, JRE 1.8.0 Linux amd64-64-Bit Compressed References\n20181107_95 (JIT enabled, AOT enabled)\nOpenJ9 - 090ff9dcd',
      [
        '1.8.0_192',
        'OpenJDK Runtime Environment (build 1.8.0_192-b12_openj9)',
        'Eclipse OpenJ9 VM (build openj9-0.11.0, JRE 1.8.0 Linux amd64-64-Bit Compressed References',
      ],
    ],
    [
      'an early-access build',
      'openjdk version "23-ea" 2024-09-17\nOpenJDK Runtime Environment (build 23-ea+5-321)\nOpenJDK 64-Bit Server VM (build 23-ea+5-321, mixed mode, sharing)',
      [
        '23',
        'OpenJDK Runtime Environment (build 23-ea+5-321)',
        'OpenJDK 64-Bit Server VM (build 23-ea+5-321, mixed mode, sharing)',
      ],
    ],
    ['too few lines', 'openjdk version "17.0.15"\nsomething', undefined],
    [
      'no version',
      'Error: could not find libjava.so\nError: Could not find Java SE Runtime Environment.\nx',
      undefined,
    ],
  ])('%s', (_name, output, expected) => {
    expect(parseJavaVersion(output)).toEqual(
      expected && { version: expected[0], runtime: expected[1], vm: expected[2] },
    );
  });

  it('parseJavaDetect separates the tools, the output and the exit code', () => {
    expect(parseJavaDetect('tool=mkfifo\ntool=env\n@@java\n@@exit=missing\n')).toEqual({
      tools: new Set(['mkfifo', 'env']),
      exit: 'missing',
    });
    expect(
      parseJavaDetect('tool=env\n@@java\nopenjdk version "17" x\nRuntime\nVM\n@@exit=0\n'),
    ).toEqual({
      tools: new Set(['env']),
      exit: '0',
      java: { version: '17', runtime: 'Runtime', vm: 'VM' },
    });
  });
});

// A tiny program: prints how it was started, then fails, serves HTTP or sleeps; or prints the
// driver suite's logs and sleeps (conform), or exits with 7 (exit7).
const HELLO_JAVA = `
import com.sun.net.httpserver.HttpServer;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;

public class Hello {
  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "sleep";
    if (mode.equals("conform")) {
      System.out.println("out-1");
      System.err.println("err-1");
      System.out.println("out-2");
      Thread.sleep(300_000);
    }
    if (mode.equals("exit7")) System.exit(7);
    System.out.println("hello [" + String.join("|", args) + "] user=" + System.getProperty("user.name")
        + " jvm=" + ManagementFactory.getRuntimeMXBean().getInputArguments());
    if (mode.equals("fail")) System.exit(3);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("shutting down")));
    if (mode.equals("serve")) {
      int port = Integer.parseInt(System.getenv("NOMAD_PORT_http"));
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
      server.createContext("/", ex -> {
        byte[] body = ("hello from " + System.getenv("NOMAD_TASK_NAME")).getBytes();
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
      });
      server.start();
      System.out.println("listening on " + port);
    }
    Thread.sleep(60_000);
  }
}
`;

/** Hello.java compiled (classes/) and packed (app.jar) once, readable by the ssh user. */
const build = mkdtempSync(join(tmpdir(), 'drover-java-build-'));
chmodSync(build, 0o755);
let built: Promise<void> | undefined;
function buildHello(): Promise<void> {
  built ??= (async () => {
    await writeFile(join(build, 'Hello.java'), HELLO_JAVA);
    const javac = spawnSync('javac', ['-d', join(build, 'classes'), join(build, 'Hello.java')]);
    expect(javac.stderr.toString()).toBe('');
    const jar = spawnSync('jar', [
      'cfe',
      join(build, 'app.jar'),
      'Hello',
      '-C',
      join(build, 'classes'),
      '.',
    ]);
    expect(jar.status).toBe(0);
  })();
  return built;
}
afterAll(() => rm(build, { recursive: true, force: true }));

const hello = (mode: string) => ({
  config: { class: 'Hello', class_path: join(build, 'classes'), args: [mode] },
  task: { resources: { cpu: 100, memory: 64 } },
});

driverConformance('java', {
  driver,
  transports: ['local', 'ssh'],
  sshAddress: '127.0.0.34',
  setup: buildHello,
  longRunning: hello('conform'),
  exits: hello('exit7'),
  changedConfig: { ...hello('conform').config, jvm_options: ['-Xss1m'] },
  badConfig: { config: { args: ['x'] }, pointer: '' },
  leftOnHost: (handle) => Promise.resolve(running(-(handle as ProcessTaskHandle).pid)),
  // A JVM takes a while to start and to write.
  waitMs: 20_000,
});

describe('java on this machine', () => {
  beforeAll(async () => {
    await h.setup({ worldWritable: true });
    await buildHello();
  });
  afterEach(() => h.cleanup());
  afterAll(() => h.teardown());

  /** A context whose task directory holds the jar in local/, as an artifact would put it. */
  async function withJar(ctx: TaskContext): Promise<TaskContext> {
    const layout = taskLayout(ctx.allocDir, ctx.task.name);
    await mkdir(layout.localDir, { recursive: true });
    await copyFile(join(build, 'app.jar'), join(layout.localDir, 'app.jar'));
    return ctx;
  }

  it('detects java and reads its version the way `java -version` prints it', async () => {
    const d = await driver.detect(h.transport);
    expect(d.detected).toBe(true);
    expect(d.healthy).toBe(true);
    const printed = spawnSync('java', ['-version']).stderr.toString();
    const version = d.attributes['driver.java.version'] ?? '';
    expect(version).toMatch(/^\d+(\.\d+)*(_\d+)?$/);
    expect(printed.split('\n')[0]).toContain(`"${version}"`);
    expect(d.attributes).toEqual({
      'driver.java': '1',
      'driver.java.version': version,
      'driver.java.runtime': printed.split('\n')[1]?.trim(),
      'driver.java.vm': printed.split('\n')[2]?.trim(),
    });
  });

  it('runs a jar that serves HTTP on NOMAD_PORT_http, heap from memory, and stops it gracefully', async () => {
    const port = await freePort();
    const ctx = await withJar(
      h.context({
        config: { jar_path: 'local/app.jar', jvm_options: ['-Xss512k'], args: ['serve'] },
        env: { NOMAD_PORT_http: String(port) },
        task: { resources: { cpu: 500, memory: 96 } },
      }),
    );
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    expect(handle).toMatchObject({ driver: 'java', task: 'web' });
    // No ulimit fallback for a JVM: a cgroup or nothing.
    expect(['cgroup', 'none']).toContain(handle.memory_limit);

    const out = await logUntil(driver, h.transport, handle, 'listening');
    expect(out).toMatch(/^hello \[serve\] user=\S+ jvm=\[-Xmx96m, -Xss512k\]\nlistening on \d+\n$/);
    let body = '';
    for (let i = 0; i < 100 && body === ''; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => '',
      );
      if (body === '') await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toBe('hello from web');

    const t0 = Date.now();
    await driver.stop(handle, h.transport, { killTimeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(4000);
    // SIGINT runs the JVM's shutdown hooks; it then exits with 128 + 2.
    expect(await driver.inspect(handle, h.transport)).toMatchObject({
      state: 'dead',
      failed: false,
      exitCode: 130,
      message: 'stopped',
    });
    expect(await text(driver.logs(handle, h.transport, { stderr: false, follow: false }))).toMatch(
      /shutting down\n$/,
    );
    expect(running(-handle.pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('runs a class from class_path and applies the restart policy to its failures', async () => {
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({
        config: { class: 'Hello', class_path: join(build, 'classes'), args: ['fail', 'x y'] },
        task: { resources: { memory: 64 } },
        restart: { attempts: 1, intervalMs: 60_000, delayMs: 0, mode: 'fail' },
      }),
    );
    expect(
      await until(driver, h.transport, handle, (s) => s.state === 'dead', 15_000),
    ).toMatchObject({
      state: 'dead',
      failed: true,
      exitCode: 3,
      restarts: 1,
    });
    const out = await text(driver.logs(handle, h.transport, { stderr: false, follow: false }));
    expect(out.match(/^hello \[fail\|x y\] user=\S+ jvm=\[-Xmx64m\]$/gm)).toHaveLength(2);
  });

  it('a missing jar fails with the JVM’s message in stderr', async () => {
    const handle = await h.start<ProcessTaskHandle>(
      driver,
      h.context({ config: { jar_path: 'local/missing.jar' } }),
    );
    expect(
      await until(driver, h.transport, handle, (s) => s.state === 'dead', 15_000),
    ).toMatchObject({
      state: 'dead',
      failed: true,
      exitCode: 1,
    });
    expect(await text(driver.logs(handle, h.transport, { stderr: true, follow: false }))).toMatch(
      /Unable to access jarfile local\/missing\.jar/,
    );
  });

  it.runIf(isRoot)('runs the JVM as the task user, and drover exec joins it', async () => {
    const ctx = await withJar(
      h.context({ config: { jar_path: 'local/app.jar' }, task: { user: 'nobody' } }),
    );
    const handle = await h.start<ProcessTaskHandle>(driver, ctx);
    expect(handle.user).toBe('nobody');
    expect(await logUntil(driver, h.transport, handle, 'hello')).toMatch(
      /^hello \[\] user=nobody /,
    );
    const stdout = new PassThrough();
    const code = await driver.exec(handle, h.transport, ['id', '-un'], {
      stdout,
      stderr: new PassThrough(),
    });
    stdout.end();
    expect(code).toBe(0);
    expect(await text(stdout)).toBe('nobody\n');
  });
});
