// @x86vm/core: CPU, memory, dispatcher, machine, clock and snapshot format. The PC's firmware
// (the built-in BIOS, the Linux loader) lives with the board in @x86vm/devices (pc/bios/).
// Uses ES libraries only (no DOM, no Node APIs): the same code runs in a Worker, Node and tests.

export { Cpu } from "./cpu/cpu.ts";
export * from "./cpu/regs.ts";
export { EmulatorError } from "./cpu/fault.ts";
export { OPCODES, OPCODE_TABLE, lookupOpcode, type OpcodeEntry } from "./cpu/opcode-table.ts";
export { PhysicalMemory, MemoryConfigError, type MmioHandler } from "./memory/physical-memory.ts";
export { VmMemory, VmMemoryError, vmMemoryBytes, MAX_RAM_BYTES, RAM_BASE } from "./memory/layout.ts";
export type { WasmMemory } from "./cpu/wasm/api.ts";
export { Dispatcher, type ExitHandlers } from "./dispatch/dispatcher.ts";
export { IoBus, IoWiringError, type IoSurface, type PortRange } from "./dispatch/io-bus.ts";
export * from "./dispatch/exits.ts";
export {
  MachineClock,
  NS_PER_SECOND,
  TSC_HZ,
  MAX_LAG_NS,
  ticksAt,
  type ClockMode,
  type TimeSource,
} from "./time/clock.ts";
export {
  StateError,
  checkStateVersion,
  cloneState,
  type SavedState,
  type StateRecord,
  type StateValue,
  type Stateful,
} from "./snapshot/state.ts";
export {
  bits,
  bool,
  bytes,
  byteQueue,
  defineState,
  field,
  fieldAt,
  i32,
  int,
  ints,
  list,
  nullable,
  num,
  oneOf,
  record,
  records,
  str,
  timeOrNever,
  u16,
  u32,
  u8,
  type BoundField,
  type FieldKind,
  type FieldShape,
  type FieldSpec,
  type FieldSpecs,
  type StateDefinition,
  type StateSchema,
  type StateValues,
} from "./snapshot/define-state.ts";
export { CowDisk, MemoryDisk, DiskRangeError, SECTOR_SIZE, type DiskImage } from "./storage/disk.ts";
export { Machine, type MachineOptions, type RunResult, type TimedDevice } from "./machine/machine.ts";
export {
  DiskFormatError,
  FLOPPY_FORMATS,
  floppyGeometry,
  hardDiskGeometry,
  type ChsGeometry,
  type FloppyGeometry,
} from "./storage/geometry.ts";
export { SnapshotError } from "./snapshot/error.ts";
export {
  SNAPSHOT_FORMAT,
  DEFAULT_LIMITS,
  applySnapshot,
  decodeSnapshot,
  encodeSnapshot,
  readSnapshotManifest,
  stateEntries,
  verifyImage,
  type ClockInfo,
  type StateEntry,
  type DecodedSnapshot,
  type ImageRef,
  type JsonValue,
  type MachineSnapshotInput,
  type SnapshotDiskInput,
  type SnapshotLimits,
  type SnapshotManifest,
  type SnapshotTarget,
} from "./snapshot/snapshot.ts";
export {
  FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  readContainer,
  resealContainer,
  writeContainer,
  type Container,
  type PreparedSection,
  type SectionEntry,
} from "./snapshot/container.ts";
export { CpuStateAdapter, cpuStatefuls } from "./snapshot/cpu-state.ts";
export {
  compress as compressBytes,
  decompress as decompressBytes,
  installDeflateCodec,
  sha256Hex,
  utf8Encode,
  type Codec,
  type DeflateCodec,
} from "./snapshot/host.ts";
export { repackSnapshot, unpackSnapshot, type UnpackedSection, type UnpackedSnapshot } from "./snapshot/tools.ts";
export { decodeStateSection, encodeStateSection } from "./snapshot/codec.ts";

/** What this build can do, for shells that offer features conditionally. */
export const FEATURES = {
  /** Boot a bzImage with the Linux boot protocol (PcOptions.linux). */
  linuxBoot: true,
  /** An ATAPI CD-ROM drive (PcOptions.cdrom) the BIOS can boot from (El Torito). */
  cdrom: true,
} as const;
