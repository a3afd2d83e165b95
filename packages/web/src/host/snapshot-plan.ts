// Opening a snapshot on the page side, the parts without a DOM (unit-tested in Node): checks,
// finding the base images, the share-link store's client. snapshots.ts drives them.
//
// Opening, step by step (each refusal is one line, and nothing exists yet to undo):
//   1. the file's size against SNAPSHOT_LIMITS; a link's bytes against its id (their SHA-256);
//   2. readSnapshotManifest: container, checksum, version, manifest (docs/snapshot-format.md);
//   3. the memory budget (the host allocator) for the RAM it asks;
//   4. its base images: embedded ones travel inside it; the others are found by SHA-256 in the
//      server's catalog (fetched), or among the files the user opened for it. What is still
//      missing is listed (slot, name from the hint, size, hash) for the user to open;
//   5. a new VM whose worker restores it (restoreSnapshot checks everything again, the device
//      states and each image's SHA-256 included); a failure there destroys that VM and worker.
// The VMs already running are never touched.

import { readSnapshotManifest, sha256Hex, type SnapshotManifest } from "@x86vm/core";
import { catalogFiles, type Catalog } from "../shared/catalog.ts";
import { messageOf, oneLine } from "../shared/message.ts";
import { MEDIA_ROLE_NAMES, type MediaFile, type MediaRole } from "../shared/protocol.ts";
import { SNAPSHOT_ID_RE, SNAPSHOT_LIMITS, SNAPSHOT_SLOTS, SNAPSHOT_SUFFIX } from "../shared/snapshot-limits.ts";
import { AllocationRefused, formatBytes } from "./allocator.ts";
import { postWithProgress, readWithProgress, type Answer, type DownloadProgress } from "./download.ts";

/** A snapshot the page will not open, with the reason in one line. */
export class SnapshotRefused extends Error {
  override readonly name: string = "SnapshotRefused";
}

/** A snapshot that waits for base images the user must open (the message lists them). */
export class ImagesNeeded extends SnapshotRefused {
  override readonly name = "ImagesNeeded";
}

/** The last part of a hint (a path or URL). */
function baseName(hint: string | null): string | null {
  const n = hint?.split(/[\\/]/).pop();
  return n ? n.slice(0, 120) : null;
}

const short = (sha: string) => `${sha.slice(0, 12)}…`;

/** A base image the snapshot references that the page has not found. */
export interface ImageNeed {
  slot: MediaRole;
  name: string;
  size: number;
  sha256: string;
  /** Why it was not found. */
  reason: string;
}

export function describeNeed(n: ImageNeed): string {
  return `${n.name} (${MEDIA_ROLE_NAMES[n.slot]}, ${formatBytes(n.size)}, SHA-256 ${short(n.sha256)})`;
}

/** A snapshot being opened: checked, its images found or still needed. */
export interface SnapshotPlan {
  /** What it is, for messages: "dos.x86snap", "share link 1a2b3c4d5e6f…". */
  label: string;
  bytes: Uint8Array;
  manifest: SnapshotManifest;
  found: Map<MediaRole, MediaFile>;
  missing: ImageNeed[];
  /** Bytes of the images inside the snapshot (the worker holds them once restored). */
  embeddedBytes: number;
}

/** Step 2: the container and manifest. */
export async function inspectSnapshot(bytes: Uint8Array, label: string): Promise<SnapshotManifest> {
  try {
    return await readSnapshotManifest(bytes, SNAPSHOT_LIMITS);
  } catch (e) {
    throw new SnapshotRefused(`Cannot open ${label}: ${messageOf(e)}`);
  }
}

async function fetchImage(
  url: string,
  size: number,
  onProgress?: (p: DownloadProgress) => void,
): Promise<ArrayBuffer | null> {
  try {
    const res = await fetch(url);
    if (!res.ok) return null;
    const b = await readWithProgress(res, onProgress);
    return b.byteLength === size ? b : null;
  } catch {
    return null;
  }
}

/**
 * Steps 2-4, with the budget checked by `checkBudget` before any image is downloaded;
 * `onImage` hears how far each image downloaded from the server is.
 */
export async function planRestore(
  bytes: Uint8Array,
  label: string,
  catalog: Catalog | null,
  checkBudget: (m: SnapshotManifest) => void,
  onImage?: (name: string, p: DownloadProgress) => void,
): Promise<SnapshotPlan> {
  const manifest = await inspectSnapshot(bytes, label);
  if (manifest.board !== "pc")
    throw new SnapshotRefused(`Cannot open ${label}: it is a snapshot of a '${manifest.board}' machine, not a PC`);
  for (const ref of manifest.images) {
    if (!SNAPSHOT_SLOTS.includes(ref.slot as MediaRole))
      throw new SnapshotRefused(`Cannot open ${label}: it names an image slot '${ref.slot}' a PC does not have`);
  }
  try {
    checkBudget(manifest);
  } catch (e) {
    if (e instanceof AllocationRefused) throw new SnapshotRefused(`Cannot open ${label}: ${messageOf(e)}`);
    throw e;
  }
  const files = catalog ? catalogFiles(catalog) : [];
  const plan: SnapshotPlan = { label, bytes, manifest, found: new Map(), missing: [], embeddedBytes: 0 };
  for (const ref of manifest.images) {
    const slot = ref.slot as MediaRole;
    if (ref.embedded !== null) {
      plan.embeddedBytes += ref.size;
      continue;
    }
    const name = baseName(ref.hint) ?? slot;
    const same = files.find((f) => f.sha256 === ref.sha256 && f.bytes === ref.size);
    if (same) {
      const b = await fetchImage(same.url, ref.size, onImage && ((p) => onImage(same.name, p)));
      if (b) {
        plan.found.set(slot, { role: slot, name: same.name, bytes: b, url: same.url });
        continue;
      }
    }
    const atHint = ref.hint ? files.find((f) => f.url === ref.hint) : undefined;
    const reason = same
      ? `the server lists ${same.url} but it could not be downloaded`
      : atHint
        ? `the server's ${atHint.url} is another image (SHA-256 ${short(atHint.sha256)}), not the one the snapshot was taken with`
        : ref.hint?.startsWith("/guests/")
          ? `${ref.hint} is not on this server`
          : "it was the sender's own image and is not inside the snapshot";
    plan.missing.push({ slot, name, size: ref.size, sha256: ref.sha256, reason });
  }
  return plan;
}

/** The one-line message for a plan whose images are still missing. */
export function missingMessage(plan: SnapshotPlan): string {
  const n = plan.missing;
  const list = n.map(describeNeed).join("; ");
  return (
    `${plan.label} needs ${n.length === 1 ? "an image" : `${n.length} images`} this page does not have: ${list}. ` +
    `Open ${n.length === 1 ? "it" : "them"} below (${n.map((x) => x.reason).join("; ")}).`
  );
}

/**
 * A file the user opened for a plan: taken for the missing image with the same SHA-256.
 * Returns the slot it fills; throws SnapshotRefused for a file that is none of them.
 */
export async function provideImage(plan: SnapshotPlan, file: { name: string; bytes: ArrayBuffer }): Promise<MediaRole> {
  const sizeMatches = plan.missing.filter((n) => n.size === file.bytes.byteLength);
  if (sizeMatches.length === 0) {
    throw new SnapshotRefused(
      `${file.name} (${formatBytes(file.bytes.byteLength)}) is not an image this snapshot needs: it needs ${plan.missing.map(describeNeed).join("; ")}`,
    );
  }
  const sha = await sha256Hex(new Uint8Array(file.bytes));
  const need = sizeMatches.find((n) => n.sha256 === sha);
  if (!need) {
    throw new SnapshotRefused(
      `${file.name} has SHA-256 ${short(sha)}: it is not the image the snapshot needs (${sizeMatches.map(describeNeed).join("; ")})`,
    );
  }
  plan.found.set(need.slot, { role: need.slot, name: file.name, bytes: file.bytes });
  plan.missing = plan.missing.filter((n) => n !== need);
  return need.slot;
}

export function linkLabel(id: string): string {
  return `share link ${id.slice(0, 12)}…`;
}

/** Fetches a shared snapshot from the server's store and checks it is the one its id names. */
export async function fetchSharedSnapshot(id: string, onProgress?: (p: DownloadProgress) => void): Promise<Uint8Array> {
  if (!SNAPSHOT_ID_RE.test(id)) {
    throw new SnapshotRefused(
      `Cannot open the share link: "${oneLine(id).slice(0, 80)}" is not a snapshot id (64 lowercase hex digits)`,
    );
  }
  const label = linkLabel(id);
  let res: Response;
  try {
    res = await fetch(`/snapshots/${id}`);
  } catch (e) {
    throw new SnapshotRefused(`Cannot open ${label}: the server did not answer (${messageOf(e)})`);
  }
  if (res.status === 404) throw new SnapshotRefused(`Cannot open ${label}: this server has no snapshot ${id}`);
  if (!res.ok) throw new SnapshotRefused(`Cannot open ${label}: the server answered ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get("Content-Length"));
  if (declared > SNAPSHOT_LIMITS.maxBytes) {
    throw new SnapshotRefused(
      `Cannot open ${label}: it is ${formatBytes(declared)}, more than the ${formatBytes(SNAPSHOT_LIMITS.maxBytes)} a snapshot may have here`,
    );
  }
  const bytes = new Uint8Array(await readWithProgress(res, onProgress));
  const sha = await sha256Hex(bytes);
  if (sha !== id)
    throw new SnapshotRefused(
      `Cannot open ${label}: the server sent bytes whose SHA-256 is ${short(sha)}, not the id of the link`,
    );
  return bytes;
}

/**
 * Stores a snapshot on the server; returns its id. With `onProgress` (in a page), the bytes sent
 * of the snapshot's size are reported as they go.
 */
export async function uploadSnapshot(bytes: ArrayBuffer, onProgress?: (p: DownloadProgress) => void): Promise<string> {
  let answer: Answer;
  try {
    if (onProgress && typeof XMLHttpRequest === "function") {
      answer = await postWithProgress("/snapshots", bytes, "application/octet-stream", onProgress);
    } else {
      const res = await fetch("/snapshots", {
        method: "POST",
        body: bytes,
        headers: { "Content-Type": "application/octet-stream" },
      });
      answer = { status: res.status, statusText: res.statusText, text: await res.text() };
    }
  } catch (e) {
    throw new Error(`Share failed: the server did not take the snapshot (${messageOf(e)})`, { cause: e });
  }
  let body: { id?: unknown; error?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(answer.text);
    if (parsed !== null && typeof parsed === "object") body = parsed;
  } catch {
    /* not JSON: status only */
  }
  if (answer.status < 200 || answer.status > 299)
    throw new Error(
      `Share failed: ${typeof body.error === "string" ? oneLine(body.error) : `the server answered ${answer.status} ${answer.statusText}`}`,
    );
  if (typeof body.id !== "string" || !SNAPSHOT_ID_RE.test(body.id))
    throw new Error("Share failed: the server's answer has no snapshot id");
  return body.id;
}

/** "dos-2026-11-26-120304.x86snap" */
export function snapshotFileName(vmName: string, at = new Date()): string {
  const stem = vmName.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "") || "vm";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${stem}-${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}${SNAPSHOT_SUFFIX}`;
}
