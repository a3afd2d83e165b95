// Entry point of a VM worker: one VM per worker, driven by the shell through comlink.
import * as Comlink from "comlink";
import type { VmWorkerApi } from "../shared/protocol.ts";
import { VmRunner } from "./runner.ts";

const runner = new VmRunner();

const api: VmWorkerApi = {
  create: (setup, onEvent) => runner.create(setup, onEvent),
  start: () => runner.start(),
  pause: () => runner.pause(),
  resume: () => runner.resume(),
  reset: () => runner.reset(),
  resize: (memory, ramBytes) => runner.resize(memory, ramBytes),
  destroy: () => runner.destroy(),
  insertMedia: (file) => runner.insertMedia(file),
  ejectMedia: (role) => runner.ejectMedia(role),
  details: () => runner.details(),
  screenText: () => runner.screenText(),
  snapshot: async (req) => {
    const r = await runner.snapshot(req);
    return Comlink.transfer(r, [r.bytes]);
  },
  diskWrites: async () => {
    const w = await runner.diskWrites();
    return w
      ? Comlink.transfer(
          w,
          w.overlays.flatMap((o) => [o.sectors.buffer, o.data.buffer]),
        )
      : null;
  },
  mediaBytes: (role) => {
    const b = runner.mediaBytes(role);
    return b ? Comlink.transfer(b, [b]) : null;
  },
};

Comlink.expose(api);
