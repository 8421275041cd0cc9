// The watchdog's cleanup (watchdog.ts is the waiting half): fbench has gone without stopping
// these process groups (the arguments). Each gets SIGTERM, then SIGKILL with all it started.
import { groupAlive, killTree, signalGroup } from './process-group.js';
import { sleep } from '../util/sleep.js';

for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => {});

const left = process.argv
  .slice(2)
  .map(Number)
  .filter((g) => Number.isInteger(g) && g > 1 && groupAlive(g));
for (const g of left) signalGroup(g, 'SIGTERM');
const deadline = Date.now() + 500;
while (left.some(groupAlive) && Date.now() < deadline) await sleep(20);
for (const g of left) killTree(g);
