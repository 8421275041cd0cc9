import stringWidth from 'string-width';
/** Visible width of a cell in terminal cells (a CJK character or an emoji takes two), colour codes left out. */
const visible = (s: string): number => stringWidth(s);

/** Cut a plain cell to `width` terminal cells, marking the cut. */
function cut(s: string, width: number): string {
  if (visible(s) <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  let out = '';
  let cells = 0;
  for (const ch of s) {
    cells += visible(ch);
    if (cells > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

export interface TableOptions {
  /** The terminal's width; no limit when undefined (a pipe). */
  width?: number;
  /** Columns that may be cut to fit, the first cut first (default: the last column). */
  shrink?: readonly number[];
  /** Columns left out, the first first, while the table is too wide — before any is cut. */
  drop?: readonly number[];
  /** The narrowest a shrinking column is cut to. */
  minWidth?: number;
  /** A last line naming the columns dropped, with where to see them (e.g. "`--json` has them"). */
  sayDropped?: string;
}

/**
 * Rows under a header, columns padded to their widest cell and two spaces apart; wider than
 * `width`, the shrinking columns are cut (with …) until it fits. Pure.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string[] {
  const dropped = new Set<number>();
  const fullWidths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => visible(r[i] ?? ''))));
  const width = (): number => fullWidths.reduce((a, w, i) => (dropped.has(i) ? a : a + w + 2), -2);
  if (opts.width !== undefined) for (const col of opts.drop ?? []) if (width() > opts.width) dropped.add(col);
  const keep = (r: readonly string[]): string[] => r.filter((_, i) => !dropped.has(i));
  const kept = head.map((_, i) => i).filter((i) => !dropped.has(i));
  const shrink = (opts.shrink ?? [head.length - 1]).filter((c) => !dropped.has(c)).map((c) => kept.indexOf(c));
  const lines = fitted(keep(head), rows.map(keep), { ...opts, shrink });
  if (dropped.size > 0 && opts.sayDropped) lines.push(`(${[...dropped].map((i) => head[i]).join(', ')} left out at ${opts.width} columns: ${opts.sayDropped})`);
  return lines;
}

function fitted(head: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions): string[] {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => visible(r[i] ?? ''))));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  if (opts.width !== undefined) {
    const min = opts.minWidth ?? 8;
    for (const col of opts.shrink ?? [head.length - 1]) {
      const over = total() - opts.width;
      if (over <= 0) break;
      widths[col] = Math.max(Math.min(min, widths[col]!), widths[col]! - over);
    }
  }
  return all.map((r) =>
    r
      .map((c, i) => {
        const cell = cut(c, widths[i]!);
        return i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell));
      })
      .join('  ')
      .trimEnd(),
  );
}
