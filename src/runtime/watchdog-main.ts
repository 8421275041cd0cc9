// The watchdog: a tiny process that outlives fbench only to clean up after it. fbench
// writes "+PGID" / "-PGID" lines on our stdin; when that pipe closes (fbench exited or was
// SIGKILLed) every group still registered gets SIGTERM, then SIGKILL with all it started.
import { groupAlive, killTree, signalGroup } from './process-group.js';
import { sleep } from '../util/sleep.js';

const groups = new Set<number>();
let buffered = '';

for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => {});

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.add(pgid);
    else groups.delete(pgid);
  }
});
process.stdin.on('end', () => void cleanUp());
process.stdin.on('error', () => void cleanUp());

async function cleanUp(): Promise<void> {
  const left = [...groups].filter(groupAlive);
  for (const g of left) signalGroup(g, 'SIGTERM');
  const deadline = Date.now() + 500;
  while (left.some(groupAlive) && Date.now() < deadline) await sleep(20);
  for (const g of left) killTree(g);
  process.exit(0);
}
