// A download's progress as a bar with "1.2 MB of 5.0 MB" beside it (a bar that moves without an
// end when the server did not say how many bytes there are).
import { formatBytes } from "../host/allocator.ts";
import type { DownloadProgress } from "../host/catalog.ts";

export function ProgressLine({
  label,
  progress,
  testId,
}: {
  label: string;
  progress: DownloadProgress | null;
  testId: string;
}) {
  const known = progress !== null && progress.total > 0;
  const words = progress
    ? known
      ? `${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`
      : `${formatBytes(progress.loaded)}`
    : "";
  return (
    <div className="progress-line" data-testid={testId}>
      <span className="progress-label">{label}</span>
      <progress
        aria-label={label}
        max={known ? progress.total : undefined}
        value={known ? progress.loaded : undefined}
        data-testid={`${testId}-bar`}
      />
      <span className="progress-bytes" data-testid={`${testId}-bytes`}>
        {words}
      </span>
    </div>
  );
}
