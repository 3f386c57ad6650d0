#!/usr/bin/env node
// `npm start`: build the app, then open it in Electron. Where no Electron
// runtime exists (it is installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1 on
// machines that cannot download it), say so and serve the same UI to a
// browser instead.
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

const electron = electronBinary();
if (electron) {
  follow(
    spawn(electron, [root, ...process.argv.slice(2)], { stdio: "inherit" }),
  );
} else {
  process.stdout.write(
    "No Electron runtime is installed here, so Tabula starts in browser mode instead.\n",
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
