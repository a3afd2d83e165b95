// Waits for text to appear on the guest's text screen after a mark: the end of the previous
// match (or the top of the screen at the start). The screen at the mark is remembered; later
// screens are aligned with it to find how far the text scrolled, so only text after the mark
// counts. `--type "type T.TXT\r" --until hello` is therefore not satisfied by an older "hello"
// already on the screen, and two waits in a row match two successive occurrences.

export interface ScreenMark {
  rows: string[];
  row: number;
  col: number;
}

export const START_MARK: ScreenMark = { rows: [], row: 0, col: 0 };

/** How many rows the screen scrolled since the mark: the rows above the mark must still match. */
function scrolledBy(mark: ScreenMark, rows: string[]): number {
  for (let k = 0; k <= mark.row; k++) {
    let ok = true;
    for (let i = 0; i + k < mark.row && ok; i++) ok = rows[i] === mark.rows[i + k];
    if (ok) return k;
  }
  return mark.row + 1;
}

/** Finds a match in a row from a column on: [column, length], or null. */
export type RowMatcher = (row: string, from: number) => [number, number] | null;

/**
 * Looks for `text` (or what `match` finds) after the mark in the current screen. Returns the
 * mark just past the match (for the next wait), or null when it has not appeared yet.
 */
export function findAfter(mark: ScreenMark, rows: string[], text: string | RowMatcher): ScreenMark | null {
  const match: RowMatcher =
    typeof text === "string"
      ? (row, from) => {
          const at = row.indexOf(text, from);
          return at < 0 ? null : [at, text.length];
        }
      : text;
  const k = scrolledBy(mark, rows);
  const startRow = mark.row - k;
  const [row0, col0] = startRow < 0 ? [0, 0] : [startRow, mark.col];
  for (let r = row0; r < rows.length; r++) {
    const from = r === row0 ? col0 : 0;
    const m = match(rows[r], from);
    if (m) return { rows: [...rows], row: r, col: m[0] + m[1] };
  }
  return null;
}
