import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Redis } from 'ioredis';
import { FBENCH } from '../helpers/fbench-run.js';
import { enqueue, rqBench } from '../helpers/real-programs.js';
import { schemaMisfit } from '../helpers/schemas.js';
import { testScope } from '../helpers/scope.js';

const { cleanups, fbench, finished } = testScope();

type ToolAnswer = { content: { type: string; text: string }[]; isError?: boolean };

/** An MCP client from the SDK, speaking to `fbench mcp` over stdio as an editor does. */
async function mcpClient(dir: string, ...args: string[]): Promise<Client> {
  const client = new Client({ name: 'fbench-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [FBENCH, 'mcp', '--bench', dir, ...args], stderr: 'pipe' }));
  cleanups.push(() => void client.close());
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ text: string; isError: boolean }> {
  const r = (await client.callTool({ name, arguments: args })) as ToolAnswer;
  return { text: r.content.map((c) => c.text).join('\n'), isError: r.isError === true };
}

/** The queue Redis's failed registry of a bench queue holds `id`. */
async function failedHolds(port: number, queue: string, id: string): Promise<boolean> {
  const r = new Redis({ port, lazyConnect: true });
  await r.connect();
  const keys = await r.keys(`rq:failed:*${queue}`);
  const found = (await Promise.all(keys.map((k) => r.zscore(k, id)))).some((s) => s !== null);
  r.disconnect();
  return found;
}

describe('tools and agents: fbench mcp and fbench jobs on a bench of real RQ workers', { timeout: 150_000 }, () => {
  let b: Awaited<ReturnType<typeof rqBench>>;
  let failedId = '';
  after(() => b?.cleanup());

  test('fbench jobs: a job that raises is listed whole with its exception, shown with its traceback, requeued; JSON too', async () => {
    b = await rqBench();
    const run = fbench(['start', '--bench', b.dir, '--no-timestamps']);
    await run.waitFor(/ready in/, 30_000);
    failedId = enqueue(b.dir, 'default', 'fail', []);
    await run.waitFor(/ValueError: this job fails/, 20_000);
    for (let i = 0; i < 50 && !(await failedHolds(b.port, 'default', failedId)); i++) await new Promise((r) => setTimeout(r, 100));

    const list = await finished(['jobs', 'failed', '--bench', b.dir]);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /^ID +QUEUE +METHOD +FAILED \(UTC\) +EXCEPTION$/m);
    assert.match(list.out, new RegExp(`^${failedId} +default +jobs\\.fail +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +ValueError: this job fails$`, 'm'));
    const json = JSON.parse((await finished(['jobs', 'failed', '--json', '--bench', b.dir])).out) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(json[0]!).sort(), ['call', 'exception', 'failedAt', 'id', 'method', 'queue']);
    assert.equal(schemaMisfit('jobs', json), null);
    assert.equal(json[0]!.id, failedId);

    const show = await finished(['jobs', 'show', failedId, '--bench', b.dir]);
    assert.equal(show.code, 0, show.out);
    assert.match(show.out, /^Traceback \(most recent call last\):$/m);
    assert.match(show.out, /raise ValueError\('this job fails'\)/);

    const requeue = await finished(['jobs', 'requeue', failedId, '--bench', b.dir]);
    assert.equal(requeue.code, 0, requeue.out);
    assert.match(requeue.out, new RegExp(`^job ${failedId} requeued on default$`, 'm'));
    // The worker runs it again, and it fails again: back in the registry.
    await run.waitFor(/failing job starts[\s\S]*failing job starts/, 20_000);
    for (let i = 0; i < 50 && !(await failedHolds(b.port, 'default', failedId)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await failedHolds(b.port, 'default', failedId), 'failed again after its requeue');

    const missing = await finished(['jobs', 'requeue', 'no-such-job', '--bench', b.dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /^job no-such-job is not among the failed jobs$/m);
  });

  test('fbench mcp: tools listed with schemas; status, logs, queues, a failed job and its traceback; restart of a worker while it runs a job: the answer says the old code finishes it, and it does', async () => {
    const client = await mcpClient(b.dir);
    const tools = (await client.listTools()).tools;
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['doctor', 'errors', 'failed_jobs', 'job', 'logs', 'plan', 'queues', 'requeue_job', 'restart', 'start', 'status', 'stop']);
    assert.ok(tools.every((t) => t.inputSchema.type === 'object' && typeof t.description === 'string' && t.description.length > 20));

    const status = JSON.parse((await call(client, 'status')).text) as { running: boolean; processes: { name: string; readiness: string }[] };
    assert.equal(status.running, true);
    assert.match(status.processes.find((p) => p.name === 'worker.1')!.readiness, /^registered on /);

    const logs = await call(client, 'logs', { names: ['worker'], lines: 5, search: 'VALUEERROR' });
    assert.equal(logs.isError, false, logs.text);
    const lines = logs.text.split('\n');
    assert.ok(lines.length >= 1 && lines.length <= 5, logs.text);
    assert.ok(
      lines.every((l) => /^\d\d:\d\d:\d\d worker\.1 \| .*ValueError/i.test(l)),
      logs.text,
    );

    const queues = JSON.parse((await call(client, 'queues')).text) as { queue: string; failed: number; workers: number }[];
    assert.equal(queues.find((q) => q.queue === 'default')!.failed, 1);
    assert.equal(queues.find((q) => q.queue === 'default')!.workers, 1);

    const failed = JSON.parse((await call(client, 'failed_jobs')).text) as { id: string; exception: string }[];
    assert.deepEqual(
      failed.map((f) => [f.id, f.exception]),
      [[failedId, 'ValueError: this job fails']],
    );
    const job = JSON.parse((await call(client, 'job', { id: failedId })).text) as { traceback: string };
    assert.match(job.traceback, /ValueError: this job fails/);

    // A 6 s job running: the restart says what happens to it (the old worker finishes it), and it finishes once.
    const marker = `${b.dir}/slow-done`;
    enqueue(b.dir, 'long', 'slow', [marker, 6]);
    const workerLog = async (): Promise<string> => (await finished(['logs', '--bench', b.dir, 'worker', '-n', '500'])).out;
    for (let i = 0; i < 100 && !/slow job starts/.test(await workerLog()); i++) await new Promise((r) => setTimeout(r, 100));
    const restart = await call(client, 'restart', { names: ['worker'] });
    assert.equal(restart.isError, false, restart.text);
    assert.match(restart.text, /jobs\.slow/);
    assert.match(restart.text, /^restarted worker\.1: registered on /m);
    for (let i = 0; i < 150 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(readFileSync(marker, 'utf8'), 'done', 'the job finished');

    const deleted = await finished(['jobs', 'delete', failedId, '--bench', b.dir]);
    assert.equal(deleted.code, 0, deleted.out);
    assert.match(deleted.out, new RegExp(`^job ${failedId} deleted \\(it was failed on default\\)$`, 'm'));
    assert.match((await finished(['jobs', 'failed', '--bench', b.dir])).out, /^no failed jobs$/m);

    const missing = await call(client, 'job', { id: 'no-such-job' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /^no job no-such-job in the queue Redis/);
  });

  test('fbench mcp --read-only: no acting tools, and restart is refused', async () => {
    const client = await mcpClient(b.dir, '--read-only');
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes('restart') && !names.includes('stop') && !names.includes('requeue_job'), names.join(' '));
    const r = (await client.callTool({ name: 'restart', arguments: { names: ['worker'] } })) as ToolAnswer;
    assert.equal(r.isError, true);
    assert.match(r.content[0]!.text, /restart/);
  });

  test('with no session: status reports the plan, logs read logs/fbench.log, restart says so; nothing hangs', async () => {
    const stop = await finished(['stop', '--bench', b.dir]);
    assert.equal(stop.code, 0, stop.out);
    const client = await mcpClient(b.dir);
    const status = JSON.parse((await call(client, 'status')).text) as { running: boolean; processes: { name: string }[] };
    assert.equal(status.running, false);
    assert.ok(status.processes.some((p) => p.name === 'worker.1'));
    const logs = await call(client, 'logs', { names: ['system'], lines: 3 });
    assert.match(logs.text, /^\(no session is running: from .*logs\/fbench\.log\)$/m);
    const restart = await call(client, 'restart', { names: ['worker'] });
    assert.equal(restart.isError, true);
    assert.match(restart.text, /^no fbench session is running for .*: start it with `fbench start`$/);
  });

  test('started outside a bench (as an editor may): the handshake works, instructions for agents come with it, each tool says why and what to do', async () => {
    const client = new Client({ name: 'fbench-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [FBENCH, 'mcp'], cwd: '/', stderr: 'pipe' }));
    cleanups.push(() => void client.close());
    assert.match(client.getInstructions() ?? '', /errors.*since_save/);
    const status = await call(client, 'status');
    assert.equal(status.isError, true);
    assert.match(status.text, /^no bench found: .* → .*pass --bench DIR/);
  });
});
