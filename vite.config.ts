import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import { guestMiddleware, ISOLATION_HEADERS } from "./packages/web/server/guests.ts";

// The web shell. Guest RAM lives in SharedArrayBuffers, which browsers only allow on
// cross-origin isolated pages: every server of the page (dev, preview, and the production
// server of `pnpm start`, packages/web/server/serve.ts) sends COOP/COEP (and CORP).
const root = path.dirname(fileURLToPath(import.meta.url));

/** Serves /guests/ (catalog and images) from the dev and preview servers. */
function guests(): Plugin {
  const mw = guestMiddleware(root);
  return {
    name: "x86vm-guests",
    configureServer(server) {
      server.middlewares.use(mw);
    },
    configurePreviewServer(server) {
      server.middlewares.use(mw);
    },
  };
}

export default defineConfig({
  root: "packages/web",
  plugins: [react(), guests()],
  worker: { format: "es" },
  // The page bundles the emulator's tables (keyboard, exit names); the worker the whole PC.
  build: { outDir: "../../dist/web", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1024 },
  server: { headers: { ...ISOLATION_HEADERS } },
  preview: { headers: { ...ISOLATION_HEADERS }, port: Number(process.env.PORT ?? 4173), host: "127.0.0.1" },
});
