/** How long something has run, as `fbench ps`, `ls` and the ui show it: seconds in its first minute, then minutes, then hours and minutes. */
export function uptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** A size in MB, with a decimal below 10 MB. */
export function megabytes(bytes: number | null): string {
  return bytes === null ? '' : `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** A share of a CPU, to a tenth of a percent. */
export function percent(share: number | null): string {
  return share === null ? '' : `${share.toFixed(1)}%`;
}

/** A moment (ms since the epoch) as the terminal shows it: `HH:MM:SS`, local time. Pure. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
