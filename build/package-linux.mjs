#!/usr/bin/env node
// Packs the built app (out/) for Linux x64 with electron-builder
// (build/electron-builder.yml). See docs/packaging.md.
//
//   node build/package-linux.mjs [TARGET...] [--out DIR]
//
// TARGET is dir (release/linux-unpacked), tar.gz or AppImage; the default is
// all three. The Electron runtime packed into the app comes from, in order:
//   1. TABULA_ELECTRON_DIST, a folder holding an executable named `electron`
//      (offline machines, the Nix build);
//   2. node_modules/electron/dist, once npm start has downloaded it there;
//   3. electron-builder's own download (or its cache), checked up front so an
//      offline machine gets one sentence instead of a minute of retries.
import { spawn } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  statSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const TARGETS = ["dir", "tar.gz", "AppImage"];
const ARCH = "x64";

function fail(sentence) {
  process.stderr.write(`package-linux: ${sentence}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const targets = [];
  let out = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--out") {
      out = argv[++i];
      if (!out) fail('--out needs a folder, e.g. "--out /tmp/tabula-release".');
    } else if (TARGETS.includes(arg)) targets.push(arg);
    else
      fail(
        `unknown argument "${arg}": give targets among ${TARGETS.join(", ")} and optionally --out DIR.`,
      );
  }
  return {
    targets: targets.length ? targets : TARGETS,
    out: resolve(out ?? join(root, "release")),
  };
}

function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The Electron folder to pack, or null to let electron-builder download it. */
function localElectronDist(version) {
  const fromEnv = process.env.TABULA_ELECTRON_DIST;
  if (fromEnv) {
    const dir = resolve(fromEnv);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      fail(
        `TABULA_ELECTRON_DIST=${fromEnv} is not a folder: set it to a folder holding an executable named "electron" (an unpacked electron-v${version}-linux-${ARCH}.zip), or unset it to download Electron.`,
      );
    if (!isExecutableFile(join(dir, "electron")))
      fail(
        `TABULA_ELECTRON_DIST=${fromEnv} holds no executable file named "electron": point it at the folder of an unpacked electron-v${version}-linux-${ARCH}.zip (where the electron binary sits beside resources/ and locales/).`,
      );
    return dir;
  }
  const npmDist = join(root, "node_modules/electron/dist");
  return isExecutableFile(join(npmDist, "electron")) ? npmDist : null;
}

/** Where @electron/get keeps downloaded zips (its `electron_config_cache`). */
function electronCacheHasZip(zipName) {
  const cache =
    process.env.electron_config_cache ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "electron");
  if (!existsSync(cache)) return false;
  // @electron/get stores each zip in a folder named after a hash of its URL.
  return readdirSync(cache, { withFileTypes: true }).some(
    (entry) =>
      entry.name === zipName ||
      (entry.isDirectory() && existsSync(join(cache, entry.name, zipName))),
  );
}

/** Why Electron cannot be downloaded right now, or null when it can. */
async function downloadProblem(version, zipName) {
  const mirror =
    process.env.ELECTRON_MIRROR ??
    "https://github.com/electron/electron/releases/download/";
  const url = `${mirror.replace(/\/?$/, "/")}v${version}/${zipName}`;
  try {
    const response = await fetch(url, {
      method: "HEAD",
      redirect: "follow",
      signal: AbortSignal.timeout(10_000),
    });
    return response.ok ? null : `${url} answered HTTP ${response.status}`;
  } catch (error) {
    const cause = error?.cause?.code ?? error?.cause?.message ?? error?.message;
    return `${url} is unreachable: ${cause}`;
  }
}

/** A 7-Zip already on PATH, so tar.gz needs no download of electron-builder's own. */
function system7zip() {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    for (const name of ["7za", "7zz"]) {
      if (dir && isExecutableFile(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

function runElectronBuilder(args, env) {
  const cli = join(root, "node_modules/electron-builder/cli.js");
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: root,
      stdio: "inherit",
      env,
    });
    child.on("exit", (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const { targets, out } = parseArgs(process.argv.slice(2));
  for (const file of [
    "out/main/index.js",
    "out/main/cli.js",
    "out/preload/index.cjs",
    "out/renderer/index.html",
  ]) {
    if (!existsSync(join(root, file)))
      fail(
        `${file} is missing: run "npm run build" first, then package again.`,
      );
  }
  const electronPackage = join(root, "node_modules/electron/package.json");
  if (!existsSync(electronPackage))
    fail(
      'node_modules/electron is missing: run "ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci" first (its version decides which Electron is packed).',
    );
  const { version } = JSON.parse(await readFile(electronPackage, "utf8"));
  const zipName = `electron-v${version}-linux-${ARCH}.zip`;

  const dist = localElectronDist(version);
  const howToSetDist = `set TABULA_ELECTRON_DIST to a folder holding an executable named "electron" (an unpacked ${zipName}) and run again`;
  if (!dist && !electronCacheHasZip(zipName)) {
    const problem = await downloadProblem(version, zipName);
    if (problem)
      fail(
        `Electron ${version} cannot be downloaded (${problem}) and TABULA_ELECTRON_DIST is not set: ${howToSetDist}.`,
      );
  }

  const args = [
    "--linux",
    ...targets,
    `--${ARCH}`,
    "--config",
    "build/electron-builder.yml",
    "--publish",
    "never",
    `-c.directories.output=${out}`,
  ];
  if (dist) args.push(`-c.electronDist=${dist}`);
  process.stdout.write(
    `package-linux: packing ${targets.join(", ")} into ${out} with Electron ${version} from ${dist ?? "electron-builder's download"}\n`,
  );
  const env = { ...process.env };
  const sevenZip = env.ELECTRON_BUILDER_7ZIP_PATH ? null : system7zip();
  if (sevenZip) env.ELECTRON_BUILDER_7ZIP_PATH = sevenZip;
  const status = await runElectronBuilder(args, env);
  if (status !== 0)
    fail(
      dist
        ? `electron-builder failed (exit status ${status}); its messages are above.`
        : `electron-builder failed (exit status ${status}; its messages are above); if it could not download Electron ${version}, ${howToSetDist}.`,
    );
  process.stdout.write(`package-linux: done, see ${out}\n`);
}

await main();
