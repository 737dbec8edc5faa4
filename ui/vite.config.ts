import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The app loads only its own bundled files (strict CSP): no CDN, no inline scripts.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  base: "./",
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
