// The watchdog: a tiny process that outlives fbench only to clean up after it. fbench
// writes "+PGID" / "-PGID" lines on our stdin; when that pipe closes (fbench exited or was
// SIGKILLed) every group still registered gets SIGTERM, then SIGKILL.
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

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function cleanUp(): Promise<void> {
  const left = [...groups].filter(alive);
  for (const g of left) safeKill(g, 'SIGTERM');
  const deadline = Date.now() + 500;
  while (left.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const g of left) if (alive(g)) safeKill(g, 'SIGKILL');
  process.exit(0);
}

function safeKill(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}
