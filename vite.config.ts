import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The web shell. Guest RAM lives in SharedArrayBuffers, which browsers only allow on
// cross-origin isolated pages: every server of the page (dev and preview) sends COOP/COEP.
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: "packages/web",
  plugins: [react()],
  build: { outDir: "../../dist/web", emptyOutDir: true },
  server: { headers: isolation },
  preview: { headers: isolation, port: Number(process.env.PORT ?? 4173), host: "127.0.0.1" },
});
