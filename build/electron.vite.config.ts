// electron-vite builds the three processes separately: main (ESM, Node),
// preload (CommonJS, because sandboxed preloads cannot be ES modules) and the
// renderer (a plain Vite + Vue app, also served by `tabula serve`).
import { resolve } from "node:path";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "electron-vite";

const root = resolve(import.meta.dirname, "..");

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, "out/main"),
      rollupOptions: {
        input: {
          index: resolve(root, "electron/main.ts"),
          // The CLI, bundled for packaged apps that have no tsx (docs/packaging.md).
          cli: resolve(root, "electron/cli-main.ts"),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, "out/preload"),
      rollupOptions: {
        input: { index: resolve(root, "electron/preload.ts") },
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: {
    root: resolve(root, "renderer"),
    plugins: [vue()],
    build: {
      outDir: resolve(root, "out/renderer"),
      // electron-vite leaves bundles unminified; the renderer is also served
      // to browsers, and its size is measured (bench/renderer.*).
      minify: true,
      rollupOptions: { input: resolve(root, "renderer/index.html") },
    },
  },
});
