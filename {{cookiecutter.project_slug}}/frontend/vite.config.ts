/**
 * One config for the app (web/), its build (web/dist, which the API serves when it exists) and
 * its unit tests (Vitest). The dev server forwards the API's paths to API_PROXY_TARGET, so that in
 * development the page and the API share an origin and need no CORS; a page built with
 * VITE_API_URL calls that address directly instead (then allow this origin with CORS_ORIGINS).
 */
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const apiTarget = process.env.API_PROXY_TARGET ?? "http://127.0.0.1:8000";
const apiPaths = ["/v1", "/ready", "/health", "/openapi.json"];
const proxy = Object.fromEntries(apiPaths.map((path) => [path, { target: apiTarget, changeOrigin: true }]));

export default defineConfig({
  root: here("./web"),
  plugins: [react()],
  build: {
    outDir: here("./web/dist"),
    emptyOutDir: true,
    target: "es2022",
  },
  server: { port: 5173, strictPort: true, proxy },
  preview: { port: 4173, strictPort: true, proxy },
  test: {
    root: here("."),
    // Plain modules run in Node; component tests ask for a DOM with `@vitest-environment happy-dom`.
    environment: "node",
    include: ["web/src/**/*.test.{ts,tsx}", "design_system/**/*.test.{ts,tsx}", "shared/**/*.test.ts"],
    setupFiles: ["web/src/test-setup.ts"],
  },
});
