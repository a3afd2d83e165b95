export { ConformanceRunner, fileKey, flagsMaskFor, type FileResult } from "./runner.ts";
export { EXCLUSIONS, type Exclusion } from "./exclusions.ts";
export { KNOWN_FAILURES } from "./known-failures.ts";
export { validateVectors, VectorFormatError, type Vector, type Metadata } from "./vectors.ts";
