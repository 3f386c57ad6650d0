// `npm start` on a machine without an Electron runtime: the README's first
// command. It builds the app, tries to obtain the runtime, says in one
// sentence why there is none, and serves the real UI to a browser instead.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const start = path.resolve(
  import.meta.dirname,
  "../../../electron/bin/start.mjs",
);
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

/** Starts `npm start`'s script and resolves with its output once it prints the address. */
function startApp(env: Record<string, string | undefined>) {
  const workspace = mkdtempSync(path.join(tmpdir(), "tabula-start-"));
  dirs.push(workspace);
  const base = { ...process.env };
  delete base.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const child = spawn(
    process.execPath,
    [start, "--port", "0", "--sandbox", "--workspace", workspace],
    { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise<{ out: string; url: string; child: ChildProcess }>(
    (resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no address after 120 s:\n${out}`)),
        120_000,
      );
      child.stdout!.on("data", () => {
        const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}/.exec(
          out,
        );
        if (url) {
          clearTimeout(timer);
          resolve({ out, url: url[0], child });
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before serving:\n${out}`));
      });
    },
  );
}

/** Loads the page as a browser would: the tokened address sets the cookie and redirects. */
async function pageStatus(url: string) {
  const first = await fetch(url, { redirect: "manual" });
  if (first.status !== 303) return first.status;
  const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
  const page = await fetch(new URL(first.headers.get("location")!, url), {
    headers: { cookie },
  });
  expect(await page.text()).toContain('<div id="app"');
  return page.status;
}

function exited(child: ChildProcess) {
  return new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
}

describe("npm start without an Electron runtime", () => {
  it("says why in one sentence and serves the UI to a browser", async () => {
    const { out, url, child } = await startApp({
      ELECTRON_SKIP_BINARY_DOWNLOAD: "1",
    });
    const said = out
      .split("\n")
      .filter((l) => l.startsWith("No Electron runtime"));
    expect(said).toEqual([
      "No Electron runtime is installed here (ELECTRON_SKIP_BINARY_DOWNLOAD is set), so Tabula starts in browser mode instead.",
    ]);
    expect(out).not.toContain("Downloading the Electron runtime");
    expect(await pageStatus(url)).toBe(200);
    // Without the token, nothing.
    expect((await fetch(new URL("/", url))).status).toBe(401);
    const code = exited(child);
    child.kill("SIGINT");
    expect(await code).not.toBeNull();
  }, 150_000);

  it("tries electron's own download first and names why it failed", async () => {
    // A mirror nobody listens on: the download fails the same way online
    // and offline, and the test never fetches 100 MB.
    const cache = mkdtempSync(path.join(tmpdir(), "tabula-electron-cache-"));
    dirs.push(cache);
    const { out, url } = await startApp({
      ELECTRON_MIRROR: "http://127.0.0.1:9/",
      electron_config_cache: cache,
    });
    expect(out).toContain("Downloading the Electron runtime once");
    expect(out).toMatch(
      /^No Electron runtime is installed here and downloading it failed \(.*ECONNREFUSED.*\), so Tabula starts in browser mode instead\.$/m,
    );
    expect(await pageStatus(url)).toBe(200);
  }, 150_000);
});
