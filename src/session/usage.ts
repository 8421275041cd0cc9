import { readProcessesNow, TICKS_PER_SECOND, usageOf } from '../runtime/process-group.js';
import type { Supervisor } from '../runtime/supervisor.js';
import { delay, type Clock } from '../util/clock.js';

/** A first look needs a second one this long after to tell a CPU share. */
const FIRST_SAMPLE_MS = 200;
/** A sample older than this is too old to measure from. */
const STALE_MS = 10_000;
/** Asked again sooner than this, the share last told is told again (a share over a few ms means nothing). */
const MIN_SPAN_MS = 500;

/** CPU share and memory of each process's whole group (and what it started), from /proc: what `ps` and `fbench ui` show. */
export class UsageSampler {
  private last = new Map<string, { at: number; ticks: number; percent: number | null }>();

  constructor(
    private readonly sup: () => Supervisor | null,
    private readonly clock: Clock,
  ) {}

  private inflight: { key: string; result: Promise<Map<string, { cpuPercent: number; rssBytes: number }>> } | null = null;

  /**
   * CPU % since the previous sample (one taken now and a moment later when there is none) and
   * RSS, per name. Callers asking at the same moment (twenty `fbench restart` at once, each
   * asking ps) share one sample: one reading of the process table, not twenty.
   */
  sample(names: readonly string[]): Promise<Map<string, { cpuPercent: number; rssBytes: number }>> {
    const key = names.join('\0');
    if (this.inflight?.key === key) return this.inflight.result;
    const result = this.measure(names).finally(() => {
      if (this.inflight?.result === result) this.inflight = null;
    });
    this.inflight = { key, result };
    return result;
  }

  private async measure(names: readonly string[]): Promise<Map<string, { cpuPercent: number; rssBytes: number }>> {
    const now = this.clock.now();
    const fresh = names.filter((n) => !this.last.has(n) || now - this.last.get(n)!.at > STALE_MS);
    if (fresh.length > 0) {
      readProcessesNow();
      for (const n of fresh) this.take(n);
      await delay(this.clock, FIRST_SAMPLE_MS);
    }
    readProcessesNow(); // one reading serves every process of this sample
    const out = new Map<string, { cpuPercent: number; rssBytes: number }>();
    for (const n of names) {
      const before = this.last.get(n);
      if (before && before.percent !== null && this.clock.now() - before.at < MIN_SPAN_MS) {
        out.set(n, { cpuPercent: before.percent, rssBytes: this.rss(n) });
        continue;
      }
      const u = this.take(n);
      if (!before || !u) continue;
      const seconds = (u.at - before.at) / 1000;
      u.percent = seconds > 0 ? Math.max(0, ((u.ticks - before.ticks) / TICKS_PER_SECOND / seconds) * 100) : 0;
      out.set(n, { cpuPercent: u.percent, rssBytes: u.rssBytes });
    }
    return out;
  }

  private rss(name: string): number {
    return usageOf(this.sup()?.process(name)?.members() ?? []).rssBytes;
  }

  private take(name: string): { at: number; ticks: number; rssBytes: number; percent: number | null } | null {
    const proc = this.sup()?.process(name);
    if (!proc?.running) {
      this.last.delete(name);
      return null;
    }
    const u = usageOf(proc.members());
    const s = { at: this.clock.now(), ticks: u.cpuTicks, rssBytes: u.rssBytes, percent: null as number | null };
    this.last.set(name, s);
    return s;
  }
}
