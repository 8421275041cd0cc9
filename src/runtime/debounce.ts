import { realClock, type Clock } from '../util/clock.js';

/** Calls `fn` once, `ms` after the last of a burst of pushes, with everything the burst carried. */
export class Debounce<T> {
  private items: T[] = [];
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly ms: number,
    private readonly fn: (items: T[]) => void,
    private readonly clock: Clock = realClock,
  ) {}

  push(item: T): void {
    this.items.push(item);
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(this.ms, () => {
      this.cancelTimer = null;
      const batch = this.items;
      this.items = [];
      this.fn(batch);
    });
  }

  cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.items = [];
  }
}
