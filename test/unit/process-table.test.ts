import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { lsofField, parseCpuTime, parsePsLine, procFsTable, psLsofTable } from '../../src/util/process-table.js';

describe('the process table: /proc, and ps with lsof where there is no /proc', () => {
  test("ps's and lsof's documented output, procps's and macOS's forms", () => {
    assert.equal(parseCpuTime('00:00:01'), 100);
    assert.equal(parseCpuTime('1-02:03:04'), (86400 + 2 * 3600 + 3 * 60 + 4) * 100);
    assert.equal(parseCpuTime('0:00.05'), 5); // macOS: minutes, seconds and hundredths
    assert.equal(parseCpuTime('12:01.50'), (12 * 60 + 1.5) * 100);
    const linux = parsePsLine('  7165  7163  7163 S<l    1876 00:00:02 Sun Dec  6 10:44:23 2026 sleep 30 A=b');
    assert.deepEqual(linux?.row, {
      pid: 7165,
      ppid: 7163,
      pgrp: 7163,
      state: 'S',
      rssBytes: 1876 * 1024,
      cpuTicks: 200,
      start: Math.floor(new Date(2026, 11, 6, 10, 44, 23).getTime() / 1000),
    });
    assert.equal(linux?.rest, 'sleep 30 A=b');
    const mac = parsePsLine('  501     1   501 Ss     11234   0:00.05 Mon Nov 30 09:01:02 2026 /usr/sbin/cfprefsd agent');
    assert.equal(mac?.row.cpuTicks, 5);
    assert.equal(mac?.rest, '/usr/sbin/cfprefsd agent');
    assert.equal(parsePsLine('ps: no such process'), null);
    assert.deepEqual(lsofField('p12\nfcwd\nn/home/a b\np13\nn/x\n', 'n'), ['/home/a b', '/x']);
  });

  // One live process asked of both tables: every answer the same (they are the kernel's, whoever reads them).
  const dir = mkdtempSync(path.join(tmpdir(), 'fbench-table-'));
  let child: ChildProcess | null = null;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const started = (): Promise<{ pid: number; port: number }> =>
    new Promise((resolve) => {
      child = spawn(
        process.execPath,
        [
          '-e',
          `const fd=require('fs').openSync('held.txt','w'); require('net').createServer().listen(0,'127.0.0.1',function(){console.log(this.address().port)}); setTimeout(()=>{},60000)`,
          'marked-child',
        ],
        { cwd: dir, env: { ...process.env, FBENCH_SESSION: '123.abc:web.1' }, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      child.stdout!.once('data', (d: Buffer) => resolve({ pid: child!.pid!, port: Number(d.toString().trim()) }));
    });

  test('both tables say the same of a live process: row, arguments, user, program, folder, marker, listener, open file', async () => {
    const { pid, port } = await started();
    const proc = procFsTable();
    const ps = psLsofTable();
    const a = proc.row(pid)!;
    const b = ps.row(pid)!;
    for (const k of ['pid', 'ppid', 'pgrp', 'start'] as const) assert.equal(b[k], a[k], k);
    assert.ok(Math.abs(a.rssBytes - b.rssBytes) < 8 * 1024 * 1024, `rss ${a.rssBytes} vs ${b.rssBytes}`);
    assert.ok(Math.abs(a.cpuTicks - b.cpuTicks) <= 100, `cpu ${a.cpuTicks} vs ${b.cpuTicks}`);
    assert.equal(ps.args(pid)!.join(' '), proc.args(pid)!.join(' ')); // ps joins them with spaces: an argument's own spaces are lost
    assert.equal(ps.uid(pid), proc.uid(pid));
    assert.equal(ps.program(pid), proc.program(pid));
    assert.equal(ps.cwd(pid), proc.cwd(pid));
    assert.equal(ps.cwd(pid), dir);
    assert.deepEqual(ps.environ('FBENCH_SESSION', [pid, process.pid]), proc.environ('FBENCH_SESSION', [pid, process.pid]));
    assert.equal(proc.environ('FBENCH_SESSION', [pid]).get(pid), '123.abc:web.1');
    assert.deepEqual(ps.listeners(port), { listening: true, holders: [pid] });
    assert.deepEqual(proc.listeners(port, [pid, process.pid]), { listening: true, holders: [pid] });
    assert.deepEqual(ps.listeners(port, [process.pid]), { listening: true, holders: [] });
    const held = statSync(path.join(dir, 'held.txt'));
    assert.equal(ps.holdsFile(pid, held), true);
    assert.equal(proc.holdsFile(pid, held), true);
    assert.equal(ps.holdsFile(process.pid, held), false);
    assert.ok(ps.all()!.some((r) => r.pid === pid));
    assert.deepEqual(
      ps.rows([pid, process.pid]).map((r) => r.pid),
      [process.pid, pid].sort((x, y) => x - y),
    );
  });

  test("a marker in a process's arguments is not its environment: both tables say it has none", async () => {
    const pretender = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', ' FBENCH_SESSION=123.abc:web.1:3', 'FBENCH_SESSION=123.abc:web.1'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: 'ignore',
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      for (const table of [procFsTable(), psLsofTable()])
        assert.equal(table.environ('FBENCH_SESSION', [pretender.pid!]).get(pretender.pid!), null, table.source);
    } finally {
      pretender.kill('SIGKILL');
    }
  });

  test('without lsof, who listens cannot be known (null), and nothing throws', () => {
    const ps = psLsofTable({ ps: 'ps', lsof: path.join(dir, 'no-lsof-here') });
    assert.deepEqual(ps.listeners(1), { listening: null, holders: [] });
    assert.equal(ps.cwd(process.pid), null);
    assert.equal(ps.holdsFile(process.pid, statSync(dir)), null);
    assert.equal(ps.row(999_999_999), null);
  });
});
