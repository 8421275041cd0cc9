import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO, tempSampleBench } from '../helpers/sample-bench.js';

const temp = mkdtempSync(path.join(tmpdir(), 'fbench-pack-'));
const cleanups: (() => void)[] = [() => rmSync(temp, { recursive: true, force: true })];
after(() => cleanups.forEach((c) => c()));

const npm = (args: string[], cwd = REPO): string =>
  // --ignore-scripts: `npm test` has built dist/ already, and prepack's rebuild would pull it from under the running tests.
  execFileSync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund', '--offline'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the npm package', { timeout: 120_000 }, () => {
  test('the tarball holds the program, the presets and the sample bench, nothing a run of it wrote, no sources or tests', () => {
    const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json'])) as [{ files: { path: string }[] }];
    const files = packed.files.map((f) => f.path);
    for (const f of [
      'bin/fbench.cjs',
      'dist/bundle/fbench.cjs',
      'dist/bundle/ui.mjs',
      'presets/split.yaml',
      'sample-bench/Procfile',
      'sample-bench/config/redis_queue.conf',
    ])
      assert.ok(files.includes(f), `${f} is in the package`);
    const written = files.filter((f) => /^sample-bench\/(logs|config\/pids)\/(?!\.gitkeep$)/.test(f) || /\.(rdb|pid|sock|log)$/.test(f));
    assert.deepEqual(written, [], 'runtime files in the package');
    assert.deepEqual(
      files.filter((f) => /^(src|test|benchmarks|dist\/(src|test))\//.test(f)),
      [],
      'sources or tests in the package',
    );
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies?: object };
    assert.equal(pkg.scripts.prepare, undefined, 'a prepare script runs (and warns) at every install of the tarball');
    assert.match(pkg.scripts.prepack ?? '', /build/);
    assert.equal(Object.keys(pkg.dependencies ?? {}).length, 0, 'everything it needs is bundled');
  });

  test('npm install -g of the tarball: no warnings, and the installed fbench plans the sample bench and shows its presets', async () => {
    const tarball = npm(['pack', '--pack-destination', temp]).trim().split('\n').pop()!;
    const prefix = path.join(temp, 'prefix');
    const out = execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', path.join(temp, tarball)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.doesNotMatch(out, /warn|prepare/i);
    const fbench = path.join(prefix, 'bin', 'fbench');
    assert.match(execFileSync(fbench, ['--version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+\n$/);
    const b = await tempSampleBench();
    cleanups.push(b.cleanup);
    const plan = execFileSync(fbench, ['plan', '--bench', b.dir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.match(plan, /^worker_email\.1 +worker +email /m);
    assert.match(execFileSync(fbench, ['presets'], { encoding: 'utf8', cwd: temp, stdio: ['ignore', 'pipe', 'ignore'] }), /^split +shipped +/m);
  });

  test("the README's install line, as written, in a fresh clone: fbench installed, the tarball ignored by git", () => {
    const line = /^(npm install -g "\$\(npm pack[^)]*\)")/m.exec(readFileSync(path.join(REPO, 'README.md'), 'utf8'))?.[1];
    assert.ok(line, "the README's install line");
    const clone = path.join(temp, 'clone');
    execFileSync('git', ['clone', '-q', REPO, clone]);
    // What `npm install` puts there, without fetching it again.
    symlinkSync(path.join(REPO, 'node_modules'), path.join(clone, 'node_modules'));
    const prefix = path.join(temp, 'readme-prefix');
    execFileSync('sh', ['-c', line], {
      cwd: clone,
      env: { ...process.env, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.match(execFileSync(path.join(prefix, 'bin', 'fbench'), ['--version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+\n$/);
    assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' }).replace(/^\?\? node_modules\n/m, ''), '');
  });
});
