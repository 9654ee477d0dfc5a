// Go text/tabwriter's layout as runc uses it (minwidth 12, padding 3): every tab-terminated cell is
// padded to its column's width; the last cell of a line is not.
export function tabwrite(rows: string[][], minwidth = 12, padding = 3): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length + padding, minwidth)));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join('') + '\n').join('');
}
