/**
 * Why a snapshot could not be saved or restored, in one line. Restoring throws nothing else:
 * a corrupt, truncated, hostile or unsupported snapshot always ends in a SnapshotError, and
 * no machine the caller already had is touched. `cause` keeps the underlying error (a
 * StateError from a device's validation, for instance) for diagnostics.
 */
export class SnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SnapshotError";
  }
}
