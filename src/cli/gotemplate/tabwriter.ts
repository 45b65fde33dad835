// Go's text/tabwriter as the docker CLI configures it (minwidth 10, tabwidth 1, padding 3,
// padchar ' ', no flags): cells end at tabs, a column's width is set per block of consecutive
// lines that have that column, text after a line's last tab is not a cell and is not padded.

interface Cell { text: string; width: number }

export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  let out = '';
  // A line without any tab ends the column blocks above it, as the writer flushes there.
  const paragraphs: Cell[][][] = [[]];
  const rawLines = text.split('\n');
  const trailing = rawLines.pop(); // after the last newline: a partial line
  for (const l of rawLines) {
    const cells = l.split('\t').map((t) => ({ text: t, width: [...t].length }));
    paragraphs[paragraphs.length - 1]!.push(cells);
    if (cells.length === 1) paragraphs.push([]);
  }
  for (const lines of paragraphs) out += formatBlock(lines, minwidth, padding);
  return out + (trailing ?? '');
}

function formatBlock(lines: Cell[][], minwidth: number, padding: number): string {
  let out = '';
  const widths: number[] = [];
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        out += c.text;
        if (j < widths.length && j < line.length - 1) out += ' '.repeat(Math.max(0, widths[j]! - c.width));
      });
      out += '\n';
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = minwidth;
      for (; t < line1; t++) {
        const line = lines[t]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + padding);
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out;
}
