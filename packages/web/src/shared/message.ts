// How the page, its host code and its worker turn a thrown value into a message to show: one
// line, whatever was thrown (an Error's message, else the value as a string).

/** `s` on one line: runs of whitespace, newlines among them, become one space. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** An error's message on one line (a thrown value that is not an Error, as a string). */
export function messageOf(e: unknown): string {
  return oneLine(e instanceof Error ? e.message : String(e));
}
