// Conformance vectors known to fail, grouped by why (conformance.test.ts). The list may only
// shrink: the test fails when a vector not listed here fails, and when a listed one passes (take
// it off). Ids are the vector file's opcode key and the vector's index: "F6.7#12" is vector 12 of
// F6.7.json.gz. A new entry needs a group whose name says why the emulator differs from the
// recording; differences that are not bugs (the 80286 is not a P6) belong in exclusions.ts.
//
// Empty since every included vector passes (73 814 of them, 2026-12-07).

export const KNOWN_FAILURES: Readonly<Record<string, readonly string[]>> = {};
