#!/usr/bin/env node
// `npm start`: build the app, then open it in Electron. Where no Electron
// runtime exists and none can be downloaded, say so and serve the same UI to
// a browser instead.
//
// package.json's allowScripts denies electron's own postinstall download, so
// that `npm ci` succeeds on a fresh clone of an offline machine without any
// environment variable. The download happens here instead, the first time the
// app is started, and only its failure reason is shown.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const root = new URL("../..", import.meta.url).pathname;
const built = spawnSync(
  "npx",
  [
    "electron-vite",
    "build",
    "--config",
    "build/electron.vite.config.ts",
    "--logLevel",
    "warn",
  ],
  { cwd: root, stdio: "inherit" },
);
if (built.status !== 0) process.exit(built.status ?? 1);

function electronBinary() {
  try {
    // The electron package exports the path of its downloaded binary, and
    // throws when the download was skipped.
    const path = createRequire(import.meta.url)("electron");
    return typeof path === "string" && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

// The child owns the work (terminals, the server): pass it our stop
// signals and wait for it to finish, rather than leaving it orphaned.
function follow(child) {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"])
    process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) =>
    process.exit(code ?? (signal === "SIGINT" ? 130 : 0)),
  );
}

// Runs electron's own installer (the script npm would have run), which
// downloads the runtime matching the installed electron package into
// node_modules/electron/dist. Returns why it failed, or null.
function downloadElectron() {
  let installer;
  try {
    installer = createRequire(import.meta.url).resolve("electron/install.js");
  } catch {
    return "the electron package is not installed (run npm ci)";
  }
  process.stdout.write(
    "Downloading the Electron runtime once (set ELECTRON_SKIP_BINARY_DOWNLOAD=1 to skip)...\n",
  );
  const run = spawnSync(process.execPath, [installer], {
    cwd: root,
    encoding: "utf8",
    timeout: 10 * 60 * 1000,
  });
  if (run.status === 0) return null;
  if (run.error) return run.error.message;
  // The installer prints a stack trace: its first line says why.
  const why = (run.stderr || "").trim().split("\n")[0];
  return why || `its installer exited with status ${run.status}`;
}

let electron = electronBinary();
let why = "";
if (!electron && process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  why = " (ELECTRON_SKIP_BINARY_DOWNLOAD is set)";
} else if (!electron) {
  const failed = downloadElectron();
  electron = electronBinary();
  if (!electron)
    why = ` and downloading it failed (${failed ?? "no binary came with it"})`;
}
if (electron) {
  follow(
    spawn(electron, [root, ...process.argv.slice(2)], { stdio: "inherit" }),
  );
} else {
  process.stdout.write(
    `No Electron runtime is installed here${why}, so Tabula starts in browser mode instead.\n`,
  );
  follow(
    spawn(
      process.execPath,
      [
        new URL("./tabula.mjs", import.meta.url).pathname,
        "serve",
        ...process.argv.slice(2),
      ],
      { stdio: "inherit" },
    ),
  );
}
