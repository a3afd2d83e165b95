// What the page accepts from a snapshot (docs/snapshot-format.md, "Restoring"): the page checks
// a file against these before anything is allocated, and the worker restores with the same.
// Guest RAM is bounded again by the host allocator's budget.

import { MAX_RAM_BYTES } from "@x86vm/core";
import { PC_IMAGE_SLOTS } from "@x86vm/devices";
import type { MediaRole } from "./protocol.ts";

export const SNAPSHOT_LIMITS = {
  /** Largest snapshot file: the page holds it whole in memory. */
  maxBytes: 1024 * 1024 * 1024,
  /** Largest guest RAM: what a VM may have here (3 GiB). */
  maxMemoryBytes: MAX_RAM_BYTES,
  /** Largest base image a snapshot may name or embed. */
  maxImageBytes: 4 * 1024 * 1024 * 1024,
};

/** The image slots of a PC snapshot (the board's media slots); each is the media role of the same name. */
export const SNAPSHOT_SLOTS: readonly MediaRole[] = PC_IMAGE_SLOTS;

/** File name suffix of downloaded snapshots. */
export const SNAPSHOT_SUFFIX = ".x86snap";

/** A share link's snapshot id: the SHA-256 of the snapshot, 64 lowercase hex digits. */
export const SNAPSHOT_ID_RE = /^[0-9a-f]{64}$/;
