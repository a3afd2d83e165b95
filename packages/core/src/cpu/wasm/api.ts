// The part of the host's WebAssembly API that the VM uses, typed here because core compiles
// without the DOM and Node typings (which declare it). Every browser and Node has it.

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

export interface WasmTable {
  get(index: number): unknown;
  set(index: number, value: unknown): void;
  readonly length: number;
}

export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  /** Compiles off the calling thread; the promise settles in a later task of the event loop. */
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Table: new (d: { element: "anyfunc"; initial: number }) => WasmTable;
}

/** The host's WebAssembly object, or null where an engine has none. */
export const wasmApi: WasmApi | null = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly ?? null;
