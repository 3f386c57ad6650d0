import { resolve } from "node:path";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vitest/config";

const root = resolve(import.meta.dirname, "..");

export default defineConfig({
  root,
  plugins: [vue()],
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Suites that need a missing tool skip themselves with the reason (see
    // test/support/needs.ts); this reporter lists them at the end.
    reporters: ["default", resolve(root, "test/support/skip-reporter.ts")],
  },
});
