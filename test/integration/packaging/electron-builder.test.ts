// Packs the built app with the real electron-builder, offline, around a stub
// Electron (a shell script named `electron`: all electron-builder needs from
// an unpacked dist, see docs/packaging.md), then reads the result with
// @electron/asar and runs what the package holds with plain Node.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { extractAll, extractFile, listPackage, statFile } from "@electron/asar";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith } from "../../support/needs";

const root = resolve(import.meta.dirname, "../../..");
const packageScript = join(root, "build/package-linux.mjs");
const version = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    version: string;
  }
).version;

// Records how it was called, so the package's bin/tabula can be checked.
const STUB_ELECTRON = `#!/bin/sh
printf 'ELECTRON_RUN_AS_NODE=%s\\n' "\${ELECTRON_RUN_AS_NODE-}"
for arg in "$@"; do printf 'arg=%s\\n' "$arg"; done
`;

const BUNDLES = [
  "out/main/index.js",
  "out/main/cli.js",
  "out/preload/index.cjs",
  "out/renderer/index.html",
];

function runPackager(args: string[], env: Record<string, string | undefined>) {
  const childEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env))
    if (value === undefined) delete childEnv[key];
  return spawnSync(process.execPath, [packageScript, ...args], {
    cwd: root,
    env: childEnv,
    encoding: "utf8",
    timeout: 180_000,
  });
}

describeWith(["bash"], "the Linux package (electron-builder)", () => {
  let work: string;
  let stubDist: string;
  let appDir: string;
  let asarPath: string;

  beforeAll(() => {
    // `npm test` builds first; a lone vitest run may not have.
    if (BUNDLES.some((file) => !existsSync(join(root, file))))
      execFileSync(
        "npx",
        ["electron-vite", "build", "--config", "build/electron.vite.config.ts"],
        { cwd: root, stdio: "ignore" },
      );
    work = mkdtempSync(join(tmpdir(), "packaging-test-"));
    stubDist = join(work, "electron-dist");
    mkdirSync(stubDist);
    writeFileSync(join(stubDist, "electron"), STUB_ELECTRON);
    chmodSync(join(stubDist, "electron"), 0o755);

    const result = runPackager(["dir", "--out", join(work, "release")], {
      TABULA_ELECTRON_DIST: stubDist,
    });
    if (result.status !== 0)
      throw new Error(
        `packaging failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
      );
    appDir = join(work, "release/linux-unpacked");
    asarPath = join(appDir, "resources/app.asar");
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("packs the given Electron as the app's executable", () => {
    const executable = join(appDir, "tabula");
    expect(readFileSync(executable, "utf8")).toBe(STUB_ELECTRON);
    expect(statSync(executable).mode & 0o111).not.toBe(0);
  });

  it("puts the main, preload and renderer bundles in the asar, byte for byte", () => {
    const files = listPackage(asarPath, { isPack: false });
    for (const file of BUNDLES) {
      expect(files).toContain(`/${file}`);
      expect(
        extractFile(asarPath, file).equals(readFileSync(join(root, file))),
      ).toBe(true);
    }
    expect(files.some((f) => /^\/out\/renderer\/assets\/.+\.js$/.test(f))).toBe(
      true,
    );
    // electron-builder rewrites package.json (no scripts, no dev deps); what
    // Electron needs from it must survive.
    const manifest = JSON.parse(
      extractFile(asarPath, "package.json").toString("utf8"),
    ) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: "tabula",
      version,
      type: "module",
      main: "out/main/index.js",
    });
  });

  it("unpacks node-pty's pty.node beside the asar, as a native ELF file", () => {
    const ptyNode = "node_modules/node-pty/build/Release/pty.node";
    expect(statFile(asarPath, ptyNode)).toMatchObject({ unpacked: true });
    const onDisk = join(appDir, "resources/app.asar.unpacked", ptyNode);
    expect(readFileSync(onDisk).subarray(0, 4)).toEqual(
      Buffer.from([0x7f, 0x45, 0x4c, 0x46]),
    );
  });

  it("leaves out what never runs on Linux: foreign prebuilds, sources, tsx", () => {
    const files = listPackage(asarPath, { isPack: false });
    const unwanted = files.filter((f) =>
      /^\/node_modules\/(node-pty\/(prebuilds|deps|third_party|src)|tsx|esbuild|@esbuild|node-addon-api)(\/|$)/.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(files.some((f) => f.startsWith("/node_modules/node-pty/lib/"))).toBe(
      true,
    );
    expect(
      files.some((f) => /^\/(electron|renderer|shared|test)\//.test(f)),
    ).toBe(false);
  });

  it("bin/tabula runs the bundled CLI with the package's Electron as Node", () => {
    const result = spawnSync(join(appDir, "bin/tabula"), ["--version"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      "ELECTRON_RUN_AS_NODE=1",
      `arg=${join(appDir, "resources/app.asar/out/main/cli.js")}`,
      "arg=--version",
      "",
    ]);
  });

  it("runs the CLI and a pty from the packaged files alone", () => {
    const extracted = join(work, "extracted");
    extractAll(asarPath, extracted);
    const cli = spawnSync(
      process.execPath,
      [join(extracted, "out/main/cli.js"), "--version"],
      { cwd: work, encoding: "utf8" },
    );
    expect(cli.stderr).toBe("");
    expect(cli.stdout).toBe(`${version}\n`);

    // node-pty as packed (lib/ from the asar, pty.node from .unpacked).
    const script = `
      const pty = require(${JSON.stringify(join(extracted, "node_modules/node-pty"))});
      const p = pty.spawn("bash", ["-c", "echo packed-pty-$((6*7))"], { cols: 80, rows: 24 });
      let out = "";
      p.onData((d) => (out += d));
      p.onExit(({ exitCode }) => { process.stdout.write(out.trim() + " " + exitCode); });
    `;
    const ptyRun = spawnSync(process.execPath, ["-e", script], {
      cwd: work,
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(ptyRun.stdout).toBe("packed-pty-42 0");
  });
});

describeWith(["bash"], "packaging without a usable Electron", () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "packaging-test-"));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function expectOneSentence(stderr: string, ...parts: string[]) {
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    for (const part of parts) expect(lines[0]).toContain(part);
  }

  it("names a TABULA_ELECTRON_DIST that is not a folder, and packs nothing", () => {
    const missing = join(work, "no-such-dist");
    const result = runPackager(["dir", "--out", join(work, "r1")], {
      TABULA_ELECTRON_DIST: missing,
    });
    expect(result.status).toBe(1);
    expectOneSentence(
      result.stderr,
      `TABULA_ELECTRON_DIST=${missing} is not a folder`,
      'executable named "electron"',
    );
    expect(existsSync(join(work, "r1"))).toBe(false);
  });

  it("names a folder without an executable electron, and packs nothing", () => {
    const dist = join(work, "empty-dist");
    mkdirSync(dist);
    writeFileSync(join(dist, "electron"), "not executable");
    const result = runPackager(["dir", "--out", join(work, "r2")], {
      TABULA_ELECTRON_DIST: dist,
    });
    expect(result.status).toBe(1);
    expectOneSentence(
      result.stderr,
      `TABULA_ELECTRON_DIST=${dist} holds no executable file named "electron"`,
    );
    expect(existsSync(join(work, "r2"))).toBe(false);
  });

  // Where npm ci did download Electron, the packager packs that one and
  // there is no failure to see (the project's machines never download it).
  it.skipIf(existsSync(join(root, "node_modules/electron/dist/electron")))(
    "says how to set TABULA_ELECTRON_DIST when Electron cannot be downloaded",
    () => {
      const emptyCache = join(work, "electron-cache");
      mkdirSync(emptyCache);
      const result = runPackager(["dir", "--out", join(work, "r3")], {
        TABULA_ELECTRON_DIST: undefined,
        // A mirror that refuses at once, and a cache without the zip, so the
        // download fails the same way with or without a network.
        ELECTRON_MIRROR: "http://127.0.0.1:9/",
        electron_config_cache: emptyCache,
      });
      expect(result.status).toBe(1);
      expectOneSentence(
        result.stderr,
        "cannot be downloaded",
        "set TABULA_ELECTRON_DIST to a folder holding an executable named",
      );
      expect(existsSync(join(work, "r3"))).toBe(false);
    },
  );
});
