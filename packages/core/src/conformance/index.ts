export { ConformanceRunner, fileKey, flagsMaskFor, type FileResult } from "./runner.ts";
export { EXCLUSIONS, type Exclusion } from "./exclusions.ts";
export { validateVectors, VectorFormatError, type Vector, type Metadata } from "./vectors.ts";
