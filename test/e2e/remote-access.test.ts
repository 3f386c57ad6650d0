// The remote mode's access rules in a real browser (Debian's Chromium): the
// printed address gets the app and its WebSocket; a page of another origin on
// the same machine gets neither, even though the browser holds the cookie.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openWorkspace } from "../../electron/backend/files";
import { createBackend, type Backend } from "../../electron/backend/services";
import { builtRendererDir } from "../../electron/cli/serve";
import { startServer, type RunningServer } from "../../electron/remote/server";
import { chromiumPath, describeWith } from "../support/needs";

describeWith(["chromium", "build"], "remote mode in Chromium", () => {
  let base: string;
  let server: RunningServer;
  let backend: Backend;
  let evil: Server;
  let evilPort: number;
  let browser: Browser;

  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), "api-e2e-"));
    backend = createBackend({
      version: "0.1.0",
      machine: "sandbox",
      files: await openWorkspace(base),
      stateDir: path.join(base, "state"),
    });
    server = await startServer({
      backend,
      rendererDir: builtRendererDir(),
      host: "127.0.0.1",
      port: 0,
      token: "e2e-token-abcdefghijklmnopqrstuvwxyz",
    });
    // Another site on the same machine, trying to reach the API from script.
    evil = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!doctype html><title>other site</title>");
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    evilPort = (evil.address() as { port: number }).port;
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await backend?.close();
    evil?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it("opens the printed address, hides the token, connects over the WebSocket", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning")
        problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(server.url);
    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`);
    await expect
      .poll(() => page.getByTestId("machine-badge").textContent())
      .toContain("Sandbox: nothing real is touched");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(await page.evaluate(() => document.cookie)).toBe("");
    // No CSP violation, no failed load.
    expect(problems).toEqual([]);

    // A reload works from the cookie alone.
    await page.reload();
    await expect
      .poll(() => page.getByTestId("machine-badge").textContent())
      .toContain("Sandbox: nothing real is touched");

    // A second tab is told it does not control the backend.
    const second = await context.newPage();
    await second.goto(`http://127.0.0.1:${server.port}/`);
    const reply = await second.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () =>
            ws.send(JSON.stringify({ id: 1, method: "listDesigns", args: {} }));
          ws.onmessage = (e) => resolve(String(e.data));
          ws.onclose = () => resolve("closed");
        }),
      `ws://127.0.0.1:${server.port}/api`,
    );
    expect(JSON.parse(reply)).toMatchObject({
      id: 1,
      error: {
        message: expect.stringMatching(
          /Another browser tab or window controls/,
        ),
      },
    });
    await context.close();
  });

  it("refuses a page of another origin, though the browser sends the cookie", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url); // the browser now holds the cookie
    await page.goto(`http://127.0.0.1:${evilPort}/`);
    const outcome = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve("open");
          ws.onclose = () => resolve("closed");
        }),
      `ws://127.0.0.1:${server.port}/api`,
    );
    expect(outcome).toBe("closed");
    // Nor can it read the app's pages (no CORS), let alone its API.
    const read = await page.evaluate(
      (url) =>
        fetch(url, { credentials: "include" }).then(
          (r) => `read ${r.status}`,
          () => "blocked",
        ),
      `http://127.0.0.1:${server.port}/`,
    );
    expect(read).toBe("blocked");
    await context.close();
  });
});
