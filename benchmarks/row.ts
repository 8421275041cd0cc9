/** One figure of the benchmark table: fbench's and its peers' cells, the limit, the target. */
export interface Cell {
  ms?: number;
  mb?: number;
  /** A percentage of one core. */
  cpu?: number;
  note?: string;
}
export interface Row {
  figure: string;
  cells: Map<string, Cell>;
  limit: string;
  target: string;
  pass: boolean;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
