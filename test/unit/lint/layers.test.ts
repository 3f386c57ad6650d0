// The layer rules of docs/architecture.md are lint errors: plant an import
// that breaks each rule into a file of the right layer and lint it with the
// project's real ESLint configuration.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages
    .filter((m) => m.ruleId === "tabula/layers")
    .map((m) => m.message);
}

describe("layer rules", () => {
  it.each([
    [
      "shared/a.ts",
      'import { readFileSync } from "node:fs";\nexport const a = readFileSync;\n',
      /shared\/ must import nothing/,
    ],
    [
      "shared/a.ts",
      'import { ref } from "vue";\nexport const a = ref;\n',
      /the package 'vue'/,
    ],
    [
      "shared/a.ts",
      'import { main } from "../electron/cli";\nexport const a = main;\n',
      /outside shared/,
    ],
    [
      "shared/a.ts",
      'export const a = import("../renderer/src/main");\n',
      /outside shared/,
    ],
    [
      "renderer/src/a.ts",
      'import fs from "fs";\nexport const a = fs;\n',
      /Node built-in 'fs'/,
    ],
    [
      "renderer/src/a.ts",
      'import { ipcRenderer } from "electron";\nexport const a = ipcRenderer;\n',
      /must not import 'electron'/,
    ],
    [
      "renderer/src/a.ts",
      'import { main } from "../../electron/cli";\nexport const a = main;\n',
      /must not import/,
    ],
    [
      "electron/backend/a.ts",
      'import App from "../../renderer/src/App.vue";\nexport const a = App;\n',
      /must not import renderer/,
    ],
    [
      "electron/backend/a.ts",
      'import { app } from "electron";\nexport const a = app;\n',
      /Only the Electron adapter/,
    ],
    [
      "electron/cli.ts",
      'import { app } from "electron";\nexport const a = app;\n',
      /Only the Electron adapter/,
    ],
  ])("%s: %s is an error", async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    [
      "shared/a.ts",
      'import { parseSize } from "./size";\nexport const a = parseSize;\n',
    ],
    [
      "renderer/src/a.ts",
      'import { parseSize } from "../../shared/size";\nimport { ref } from "vue";\nexport const a = [parseSize, ref];\n',
    ],
    [
      "electron/backend/a.ts",
      'import { parseSize } from "../../shared/size";\nimport fs from "node:fs";\nexport const a = [parseSize, fs];\n',
    ],
    [
      "electron/main.ts",
      'import { app } from "electron";\nexport const a = app;\n',
    ],
    [
      "electron/electron-window.ts",
      'import type { BrowserWindow } from "electron";\nexport type A = BrowserWindow;\n',
    ],
  ])("%s: allowed imports pass", async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
