import { describe, expect, it } from "vitest";
import { parseScript } from "./parse.ts";

const parse = (text: string) => parseScript(text, "t.txt");

describe("script parser", () => {
  it("reads every kind of step, with comments, escapes and options", () => {
    const steps = parse(
      [
        "# a comment line",
        "",
        'wait "A:\\>" timeout 30s   # a trailing comment',
        "wait /C:\\\\>|A:\\\\>/i on screen timeout 500ms",
        'wait "login:" on serial',
        'type "dir\\r\\t\\e\\x41 \\"q\\" \\\\"',
        "key Enter F1 Ctrl+C alt+f4",
        "sleep 250ms",
        "sleep 1.5s",
        'expect "Volume in drive"',
        "expect not /error/i on any",
        "screenshot out/end.png",
        'snapshot "my state.snap"',
      ].join("\n"),
    );
    expect(steps.map(({ origin: _origin, ...s }) => s)).toEqual([
      { kind: "wait", pattern: { text: "A:\\>" }, source: undefined, timeoutS: 30 },
      { kind: "wait", pattern: { regex: /C:\\>|A:\\>/i }, source: "screen", timeoutS: 0.5 },
      { kind: "wait", pattern: { text: "login:" }, source: "serial", timeoutS: undefined },
      { kind: "type", keys: 'dir\r\t\x1bA "q" \\' },
      { kind: "key", codes: ["Enter"] },
      { kind: "key", codes: ["F1"] },
      { kind: "key", codes: ["ControlLeft", "KeyC"] },
      { kind: "key", codes: ["AltLeft", "F4"] },
      { kind: "sleep", ms: 250 },
      { kind: "sleep", ms: 1500 },
      { kind: "expect", pattern: { text: "Volume in drive" }, source: undefined, absent: false },
      { kind: "expect", pattern: { regex: /error/i }, source: "any", absent: true },
      { kind: "screenshot", file: "out/end.png" },
      { kind: "snapshot", file: "my state.snap" },
    ]);
    // Each step knows its line, as written without the comment.
    expect(steps[0].origin).toEqual({ where: "t.txt:3", line: 3, text: 'wait "A:\\>" timeout 30s' });
    expect(steps[6].origin?.where).toBe("t.txt:7");
  });

  it("names the line and column of each error", () => {
    const cases: [string, string][] = [
      ["wiat 'x'", 't.txt:1:1: unknown step "wiat"'],
      ['wait "A:', "t.txt:1:6: unterminated string"],
      ["wait A:", 't.txt:1:6: expected a "text" or a /regular expression/'],
      ["wait /a(/", "t.txt:1:6: bad regular expression"],
      ["wait /abc", "t.txt:1:6: unterminated regular expression"],
      ["wait /a/g", 't.txt:1:9: regular expression flags may be i, m and s, not "g"'],
      ['wait "x" timeout 5', 't.txt:1:18: expected a duration such as 500ms or 2s, not "5"'],
      ['wait "x" on disk', "t.txt:1:10: on takes screen, serial or any"],
      ['wait "x" soon', 't.txt:1:10: unexpected "soon" (expected timeout or on)'],
      ['expect "x" timeout 1s', 't.txt:1:12: unexpected "timeout" (expected on)'],
      ['expect maybe "x"', "t.txt:1:8: expect takes [not]"],
      ['type "caf\u00e9"', 't.txt:1:6: cannot type "\u00e9" on a US keyboard'],
      ['type "a" "b"', 't.txt:1:10: unexpected "\\"b\\""'],
      ["key Ctrl+Hyper", 't.txt:1:5: bad key chord "Ctrl+Hyper": no key is named "Hyper"'],
      ["key", "t.txt:1:4: key needs a key name"],
      ["sleep", "t.txt:1:6: sleep needs a duration"],
      ["sleep soon", 't.txt:1:7: expected a duration such as 500ms or 2s, not "soon"'],
      ["screenshot", "t.txt:1:11: expected a file name for the screenshot"],
      ["screenshot end.jpg", "t.txt:1:12: screenshot writes PNG"],
    ];
    for (const [line, message] of cases) expect(() => parse(line), line).toThrow(message);
    // The line number counts blank and comment lines.
    expect(() => parse('# one\n\nwait "x"\n  bogus')).toThrow(/^t\.txt:4:3: unknown step "bogus"/);
  });
});
