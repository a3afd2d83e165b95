// The script format of `vm boot --script FILE` (docs/testing.md): one step per line, `#` starts
// a comment, blank lines are skipped.
//
//   wait "A:\>" [timeout 30s] [on screen|serial|any]   wait for text (or /regex/flags) after the last match
//   type "dir\r"                                         type text (escapes \r \n \t \e \b \" \\ \xHH;
//                                                        another backslash stands for itself: "A:\>")
//   key Enter | F1 | Ctrl+C | Alt+F4 ...                 press keys or combinations, in order
//   sleep 500ms | 2s                                     let machine time pass
//   expect [not] "text" | /regex/ [on screen|serial|any] check what is there now (default: the screen)
//   screenshot out.png                                   write the picture as PNG
//   snapshot out.snap                                    save a snapshot (for vm resume)
//
// The parser turns the lines into the session's Steps (session/session.ts), each with its
// origin (file:line) for messages and the JUnit report. Errors name the line and column.

import { parseKeyChord, usKeyForChar } from "@x86vm/devices";
import type { Source, Step } from "../session/session.ts";

export class ScriptError extends Error {}

const SOURCES = new Set(["screen", "serial", "any"]);

/** Reads one line's tokens: bare words, "strings" and /regexes/, with the column of each. */
class Line {
  pos = 0;
  constructor(
    readonly text: string,
    readonly where: string,
    readonly lineNo: number,
  ) {}

  fail(message: string, at = this.pos): never {
    throw new ScriptError(`${this.where}:${at + 1}: ${message}`);
  }

  /** Skips blanks; true at the end of the line or at a comment. */
  atEnd(): boolean {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
    return this.pos >= this.text.length || this.text[this.pos] === "#";
  }

  peek(): string {
    return this.atEnd() ? "" : this.text[this.pos];
  }

  /** A bare word (anything up to a blank), or null at the end. */
  word(): string | null {
    if (this.atEnd()) return null;
    const start = this.pos;
    while (this.pos < this.text.length && !/\s/.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A "quoted string" with escapes, decoded. */
  string(): string {
    const start = this.pos;
    if (this.text[this.pos] !== '"') this.fail('expected a "quoted string"');
    let out = "";
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '"') {
        this.pos = i + 1;
        return out;
      }
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.text[++i];
      if (e === undefined) break;
      const simple: Record<string, string> = { r: "\r", n: "\r", t: "\t", e: "\x1b", b: "\b", '"': '"', "\\": "\\" };
      if (e in simple) out += simple[e];
      else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(this.text.slice(i + 1, i + 3))) {
        out += String.fromCharCode(parseInt(this.text.slice(i + 1, i + 3), 16));
        i += 2;
      } else out += `\\${e}`; // not an escape: the backslash stands for itself ("A:\>")
    }
    return this.fail("unterminated string: no closing quote", start);
  }

  /** A /regex/flags. */
  regex(): RegExp {
    const start = this.pos;
    let i = this.pos + 1;
    for (; i < this.text.length && this.text[i] !== "/"; i++) if (this.text[i] === "\\") i++;
    if (i >= this.text.length) this.fail("unterminated regular expression: no closing /", start);
    const body = this.text.slice(start + 1, i);
    let j = i + 1;
    while (j < this.text.length && /[a-z]/.test(this.text[j])) j++;
    const flags = this.text.slice(i + 1, j);
    if (/[^ims]/.test(flags))
      this.fail(`regular expression flags may be i, m and s, not ${JSON.stringify(flags)}`, i + 1);
    try {
      const re = new RegExp(body, flags);
      this.pos = j;
      return re;
    } catch (e) {
      return this.fail(`bad regular expression: ${(e as Error).message}`, start);
    }
  }

  /** A text or regex pattern. */
  pattern(): { text: string } | { regex: RegExp } {
    const c = this.peek();
    if (c === '"') return { text: this.string() };
    if (c === "/") return { regex: this.regex() };
    return this.fail('expected a "text" or a /regular expression/');
  }

  /** A string or a bare word (file names). */
  name(what: string): string {
    if (this.atEnd()) this.fail(`expected ${what}`);
    return this.peek() === '"' ? this.string() : this.word()!;
  }

  /** "500ms", "2s", "1.5s". */
  duration(): number {
    const at = (this.atEnd(), this.pos);
    const w = this.word();
    const m = w ? /^(\d+(?:\.\d+)?)(ms|s)$/.exec(w) : null;
    if (!m) return this.fail(`expected a duration such as 500ms or 2s${w ? `, not ${JSON.stringify(w)}` : ""}`, at);
    return m[2] === "ms" ? Number(m[1]) : Number(m[1]) * 1000;
  }

  /** Nothing more on the line. */
  end(): void {
    if (!this.atEnd()) this.fail(`unexpected ${JSON.stringify(this.text.slice(this.pos).trimEnd())}`);
  }
}

/** Checks that every character of text has a key on a US keyboard. */
function checkTypeable(line: Line, text: string, at: number): void {
  for (const ch of text.replace(/\r\n/g, "\r"))
    if (!usKeyForChar(ch)) line.fail(`cannot type ${JSON.stringify(ch)} on a US keyboard`, at);
}

/** Parses one line; null for blank and comment lines. */
function parseLine(line: Line): Step[] | null {
  if (line.atEnd()) return null;
  const cmdAt = line.pos;
  const cmd = line.word()!;
  const steps: Step[] = [];
  const origin = { where: line.where, line: line.lineNo, text: line.text.trim() };
  /** Optional `on SOURCE` and (for waits) `timeout D`, in any order. */
  const options = (allowTimeout: boolean) => {
    let source: Source | undefined;
    let timeoutS: number | undefined;
    while (!line.atEnd()) {
      const at = line.pos;
      const w = line.word()!;
      if (w === "on" && source === undefined) {
        const s = line.word();
        if (!s || !SOURCES.has(s)) line.fail("on takes screen, serial or any", at);
        source = s as Source;
      } else if (w === "timeout" && allowTimeout && timeoutS === undefined) {
        const ms = line.duration();
        if (ms <= 0) line.fail("timeout must be more than 0", at);
        timeoutS = ms / 1000;
      } else line.fail(`unexpected ${JSON.stringify(w)} (expected ${allowTimeout ? "timeout or on" : "on"})`, at);
    }
    return { source, timeoutS };
  };
  switch (cmd) {
    case "wait": {
      if (line.atEnd()) line.fail('wait needs a "text" or a /regular expression/');
      const pattern = line.pattern();
      const { source, timeoutS } = options(true);
      steps.push({ kind: "wait", pattern, source, timeoutS, origin });
      break;
    }
    case "expect": {
      if (line.atEnd()) line.fail('expect needs a "text" or a /regular expression/');
      let absent = false;
      if (line.peek() !== '"' && line.peek() !== "/") {
        const at = line.pos;
        if (line.word() !== "not") line.fail('expect takes [not] and a "text" or a /regular expression/', at);
        absent = true;
        if (line.atEnd()) line.fail('expect not needs a "text" or a /regular expression/');
      }
      const pattern = line.pattern();
      const { source } = options(false);
      steps.push({ kind: "expect", pattern, source, absent, origin });
      break;
    }
    case "type": {
      if (line.atEnd()) line.fail('type needs a "quoted string"');
      const at = line.pos;
      const keys = line.string();
      checkTypeable(line, keys, at);
      line.end();
      steps.push({ kind: "type", keys, origin });
      break;
    }
    case "key": {
      if (line.atEnd()) line.fail("key needs a key name, e.g. Enter, F1 or Ctrl+C");
      while (!line.atEnd()) {
        const at = line.pos;
        const combo = line.word()!;
        let codes: string[];
        try {
          codes = parseKeyChord(combo);
        } catch (e) {
          return line.fail((e as Error).message, at);
        }
        steps.push({ kind: "key", codes, origin });
      }
      break;
    }
    case "sleep": {
      if (line.atEnd()) line.fail("sleep needs a duration such as 500ms or 2s");
      const ms = line.duration();
      line.end();
      steps.push({ kind: "sleep", ms, origin });
      break;
    }
    case "screenshot":
    case "snapshot": {
      const file = line.name(`a file name for the ${cmd}`);
      line.end();
      if (cmd === "screenshot" && !file.toLowerCase().endsWith(".png"))
        line.fail(`screenshot writes PNG: the file name should end in .png`, line.text.indexOf(file));
      steps.push({ kind: cmd, file, origin });
      break;
    }
    default:
      line.fail(
        `unknown step ${JSON.stringify(cmd)} (steps: wait, type, key, sleep, expect, screenshot, snapshot)`,
        cmdAt,
      );
  }
  // The step as written, without its comment.
  line.atEnd();
  origin.text = line.text.slice(cmdAt, line.pos).trim();
  return steps;
}

/** Parses a script; `name` is how messages name it ("steps.txt"). Throws ScriptError. */
export function parseScript(source: string, name: string): Step[] {
  const steps: Step[] = [];
  source.split(/\r?\n/).forEach((text, i) => {
    const parsed = parseLine(new Line(text, `${name}:${i + 1}`, i + 1));
    if (parsed) steps.push(...parsed);
  });
  return steps;
}
