import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { FBENCH } from '../helpers/fbench-run.js';
import { SYSTEM_PYTHON } from '../helpers/real-programs.js';
import { tempSampleBench, type TempBench } from '../helpers/sample-bench.js';
import { testScope } from '../helpers/scope.js';
import { Terminal } from '../helpers/terminal.js';

const { cleanups, fbench } = testScope();

describe('fbench run: one command in the bench environment', { timeout: 120_000 }, () => {
  let b: TempBench;
  before(async () => {
    b = await tempSampleBench((dir) => writeFileSync(path.join(dir, '.env'), 'FROM_DOTENV=yes it is\n'));
    cleanups.push(b.cleanup);
    mkdirSync(path.join(b.dir, 'sites', 'deep'), { recursive: true });
    const redis = fbench(['start', '--bench', b.dir, 'redis']);
    await redis.waitFor(/ready in/, 30_000);
  });

  test('the environment start gives its processes: .env, env/bin first on PATH, PYTHONUNBUFFERED, DEV_SERVER; from the bench folder, wherever it is run', async () => {
    const r = fbench(
      [
        'run',
        SYSTEM_PYTHON,
        '-c',
        'import os, json; print(json.dumps({"cwd": os.getcwd(), **{k: os.environ.get(k) for k in ["FROM_DOTENV", "PATH", "PYTHONUNBUFFERED", "DEV_SERVER"]}}))',
      ],
      {
        cwd: path.join(b.dir, 'sites', 'deep'),
      },
    );
    assert.equal((await r.exited).code, 0, r.output);
    const env = JSON.parse(r.output.trim().split('\n').pop()!) as Record<string, string>;
    assert.equal(env.cwd, b.dir);
    assert.equal(env.FROM_DOTENV, 'yes it is');
    assert.equal(env.PATH!.split(':')[0], path.join(b.dir, 'env', 'bin'));
    assert.equal(env.PYTHONUNBUFFERED, 'true');
    assert.equal(env.DEV_SERVER, 'true');

    const noDev = fbench(['run', '--no-dev', '--bench', b.dir, 'sh', '-c', 'echo "dev=${DEV_SERVER:-unset}"']);
    assert.equal((await noDev.exited).code, 0);
    assert.match(noDev.output, /^dev=unset$/m);
  });

  test('its exit status is passed through; the arguments never reach a shell, unless given as one string with --shell', async () => {
    const seven = fbench(['run', '--bench', b.dir, 'sh', '-c', 'exit 7']);
    assert.equal((await seven.exited).code, 7);

    const literal = fbench(['run', '--bench', b.dir, 'echo', '$HOME;', '$(id -u)', '`id`', '&& echo injected']);
    assert.equal((await literal.exited).code, 0);
    assert.match(literal.output, /^\$HOME; \$\(id -u\) `id` && echo injected$/m);

    const shell = fbench(['run', '--bench', b.dir, '--shell', 'echo one && echo "$FROM_DOTENV" && exit 3']);
    assert.equal((await shell.exited).code, 3);
    assert.match(shell.output, /^one\nyes it is$/m);

    const two = fbench(['run', '--bench', b.dir, '--shell', 'echo', 'two']);
    assert.equal((await two.exited).code, 1);
    assert.match(two.output, /^fbench: --shell takes the command as one string → for example/);

    const missing = fbench(['run', '--bench', b.dir, 'no-such-program-xyz']);
    assert.equal((await missing.exited).code, 1);
    assert.match(missing.output, /^fbench: cannot run no-such-program-xyz: not found on the PATH of the bench/);
  });

  test('a SIGTERM sent to fbench reaches the command, whose handler runs; its status comes back', async () => {
    const prog =
      "import signal, sys, time\ndef bye(*_):\n    print('TERM handled', flush=True)\n    sys.exit(42)\nsignal.signal(signal.SIGTERM, bye)\nprint('waiting', flush=True)\ntime.sleep(60)\n";
    writeFileSync(path.join(b.dir, 'term.py'), prog);
    const r = fbench(['run', '--bench', b.dir, SYSTEM_PYTHON, 'term.py']);
    await r.waitFor(/waiting/);
    r.signal('SIGTERM');
    assert.equal((await r.exited).code, 42);
    assert.match(r.output, /TERM handled/);
  });

  test('the terminal is the command’s: stdin and stdout are a tty, what is typed reaches it, Ctrl-C reaches it once', async () => {
    const prog =
      "import sys, signal\nprint('tty', sys.stdin.isatty(), sys.stdout.isatty(), flush=True)\nname = input('name? ')\nprint('hello', name, flush=True)\ntry:\n    input('ctrl-c? ')\nexcept KeyboardInterrupt:\n    print('interrupted', flush=True)\n    sys.exit(5)\n";
    writeFileSync(path.join(b.dir, 'ask.py'), prog);
    // bash, not sh: it carries on after a Ctrl-C that its command handled (sh would die of it).
    const term = new Terminal(`bash -c '${process.execPath} ${FBENCH} run --bench ${b.dir} ${SYSTEM_PYTHON} ask.py; echo "run exited $?"; sleep 60'`, 100, 20);
    cleanups.push(() => term.close());
    await term.until((s) => /tty True True/.test(s) && /name\? $/m.test(s), 'the prompt');
    term.type('frappe');
    term.keys('Enter');
    await term.until((s) => /hello frappe/.test(s) && /ctrl-c\? $/m.test(s), 'the answer');
    term.keys('C-c');
    const s = await term.until((x) => /run exited \d+/.test(x), 'the exit');
    assert.match(s, /interrupted\nrun exited 5/);
  });

  test("without the bench's Redis answering: one line naming fbench start, and nothing is run", async () => {
    const idle = await tempSampleBench();
    cleanups.push(idle.cleanup);
    const r = fbench(['run', '--bench', idle.dir, 'sh', '-c', 'touch ran']);
    assert.equal((await r.exited).code, 1);
    const lines = r.output.trim().split('\n');
    assert.equal(lines.length, 1, r.output);
    assert.match(lines[0]!, /^fbench: the bench's Redis does not answer: redis_\w+\.1 \(:\d+\): .* → start the bench first: `fbench start`/);
    assert.throws(() => readFileSync(path.join(idle.dir, 'ran')));
  });
});
