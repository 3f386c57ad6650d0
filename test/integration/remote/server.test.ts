// tabula serve's server over real HTTP and WebSocket on loopback: what a
// stranger gets (nothing), what the one controlling client gets (everything).
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import WebSocket from "ws";
import type { WireReply } from "../../../shared/api/contract";
import { openWorkspace } from "../../../electron/backend/files";
import {
  createBackend,
  type Backend,
} from "../../../electron/backend/services";
import { CONTENT_SECURITY_POLICY } from "../../../electron/content-security-policy";
import {
  NOT_CONTROLLING,
  startServer,
  type RunningServer,
} from "../../../electron/remote/server";
import { createSocketClient } from "../../../renderer/src/api/socket-client";
import { describeWith } from "../../support/needs";

const TOKEN = "test-token-0123456789abcdef";
let base: string;
let rendererDir: string;
let workspace: string;
let backend: Backend;
let server: RunningServer;
let origin: string;
let cookie: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), "api-server-"));
  rendererDir = path.join(base, "renderer");
  workspace = path.join(base, "workspace");
  mkdirSync(path.join(rendererDir, "assets"), { recursive: true });
  mkdirSync(workspace);
  writeFileSync(
    path.join(rendererDir, "index.html"),
    "<!doctype html><p>app</p>",
  );
  writeFileSync(path.join(rendererDir, "assets", "app.js"), "console.log(1)");
  writeFileSync(path.join(base, "secret.txt"), "TOP-SECRET-CONTENT");
  symlinkSync(
    path.join(base, "secret.txt"),
    path.join(rendererDir, "leak.txt"),
  );
  backend = createBackend({
    version: "0.0.1",
    machine: "sandbox",
    files: await openWorkspace(workspace),
    stateDir: path.join(base, "state"),
  });
  server = await startServer({
    backend,
    rendererDir,
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    heartbeatMs: 200,
  });
  origin = `http://127.0.0.1:${server.port}`;
  const first = await fetch(server.url, { redirect: "manual" });
  cookie = first.headers.get("set-cookie")!.split(";")[0]!;
});

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
});

afterAll(async () => {
  await server.close();
  await backend.close();
  rmSync(base, { recursive: true, force: true });
});

function get(pathname: string, headers: Record<string, string> = {}) {
  return fetch(origin + pathname, { headers, redirect: "manual" });
}

/** Opens a WebSocket; resolves with it, or with the refusal's status and text. */
function connect(
  options: {
    path?: string;
    headers?: Record<string, string>;
    origin?: string | null;
    autoPong?: boolean;
  } = {},
): Promise<{ ws: WebSocket } | { status: number; body: string }> {
  const headers: Record<string, string> = {
    Cookie: cookie,
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${server.port}${options.path ?? "/api"}`,
      {
        headers,
        autoPong: options.autoPong ?? true,
        ...(options.origin === null
          ? {}
          : { origin: options.origin ?? origin }),
      },
    );
    sockets.push(ws);
    ws.once("open", () => resolve({ ws }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", reject);
  });
}

async function open(options?: Parameters<typeof connect>[0]): Promise<Client> {
  const result = await connect(options);
  if (!("ws" in result))
    throw new Error(`refused: ${result.status} ${result.body}`);
  return new Client(result.ws);
}

/** A raw wire client: sends text, collects every message. */
class Client {
  messages: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(
        JSON.parse(data.toString()) as Record<string, unknown>,
      );
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async next(
    match: (m: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    for (;;) {
      const i = this.messages.findIndex(match);
      if (i >= 0) return this.messages.splice(i, 1)[0]!;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  async call(method: string, args: unknown): Promise<WireReply> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, args }));
    return (await this.next((m) => m.id === id)) as WireReply;
  }
  async raw(text: string | Buffer): Promise<WireReply> {
    this.ws.send(text);
    return (await this.next(
      (m) => "error" in m && !("event" in m),
    )) as WireReply;
  }
  closed(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => this.ws.once("close", () => r()));
  }
}

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get("content-security-policy")).toBe(
    CONTENT_SECURITY_POLICY,
  );
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
}

describe("HTTP", () => {
  it("answers 401 without the token, with the security headers", async () => {
    const res = await get("/");
    expect(res.status).toBe(401);
    expectSecurityHeaders(res);
    expect(await res.text()).toMatch(
      /needs its access token: open the exact address/,
    );
    expect((await get("/assets/app.js")).status).toBe(401);
  });

  it("answers 403 to a wrong token, in the query or the cookie", async () => {
    const res = await get("/?token=guess");
    expect(res.status).toBe(403);
    expectSecurityHeaders(res);
    expect(await res.text()).toMatch(/access token is wrong/);
    expect(
      (await get("/", { Cookie: cookie.replace(/=.*/, "=guess") })).status,
    ).toBe(403);
    expect((await get(`/?token=${TOKEN}x`)).status).toBe(403);
  });

  it("trades the token for an HttpOnly SameSite=Strict cookie and drops it from the address", async () => {
    const res = await get(`/some/route?x=1&token=${TOKEN}`);
    expect(res.status).toBe(303);
    expectSecurityHeaders(res);
    expect(res.headers.get("location")).toBe("/some/route?x=1");
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(
      /^tabula_[0-9a-f]{12}=test-token-0123456789abcdef; /,
    );
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
  });

  it("serves the renderer with the cookie, app routes falling back to index.html", async () => {
    const index = await get("/", { Cookie: cookie });
    expect(index.status).toBe(200);
    expectSecurityHeaders(index);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await index.text()).toContain("<p>app</p>");
    const js = await get("/assets/app.js", { Cookie: cookie });
    expect(js.headers.get("content-type")).toBe(
      "text/javascript; charset=utf-8",
    );
    expect(await js.text()).toBe("console.log(1)");
    expect(
      await (await get("/install/disks", { Cookie: cookie })).text(),
    ).toContain("app");
    expect((await get("/assets/missing.js", { Cookie: cookie })).status).toBe(
      404,
    );
  });

  it("serves nothing outside the renderer folder", async () => {
    for (const p of [
      "/..%2fsecret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%2e%2e/secret.txt",
      "/leak.txt",
      "/a%00.js",
    ]) {
      const res = await get(p, { Cookie: cookie });
      expect([p, res.status]).toEqual([p, 404]);
      expect(await res.text()).not.toContain("TOP-SECRET-CONTENT");
    }
  });

  it("refuses a foreign Host (DNS rebinding) even with the cookie", async () => {
    // fetch() will not send a custom Host header; node:http will.
    const raw = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: server.port,
            path: "/",
            headers: { Host: host, Cookie: cookie },
          },
          (res) => {
            let body = "";
            res.on("data", (c: Buffer) => (body += c.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.end();
      });
    const foreign = await raw("attacker.example");
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/only answers to loopback names/);
    expect((await raw(`attacker.example:${server.port}`)).status).toBe(403);
    // An ssh tunnel changes the port the browser sees, not the name.
    expect((await raw("localhost:9999")).status).toBe(200);
    expect((await raw("[::1]:9999")).status).toBe(200);
  });

  it("allows only GET and HEAD", async () => {
    const res = await fetch(origin + "/", {
      method: "POST",
      headers: { Cookie: cookie },
    });
    expect(res.status).toBe(405);
    expectSecurityHeaders(res);
    const head = await fetch(origin + "/", {
      method: "HEAD",
      headers: { Cookie: cookie },
    });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});

describe("WebSocket refusals", () => {
  it("401 without the token", async () => {
    const r = await connect({ headers: { Cookie: "" } });
    expect(r).toMatchObject({ status: 401 });
    expect("body" in r && r.body).toMatch(/needs its access token/);
  });

  it("403 with a wrong token", async () => {
    expect(
      await connect({ headers: { Cookie: cookie.replace(/=.*/, "=nope") } }),
    ).toMatchObject({
      status: 403,
    });
    expect(
      await connect({ headers: { Cookie: "" }, path: "/api?token=nope" }),
    ).toMatchObject({
      status: 403,
    });
  });

  it("accepts the token in the query too", async () => {
    const client = await open({
      headers: { Cookie: "" },
      path: `/api?token=${TOKEN}`,
    });
    expect(await client.call("hello", {})).toMatchObject({
      result: { transport: "websocket" },
    });
  });

  it("403 from another Origin, or none", async () => {
    const r = await connect({ origin: "http://evil.example" });
    expect(r).toMatchObject({ status: 403 });
    expect("body" in r && r.body).toMatch(/only from this server's own pages/);
    expect(
      await connect({ origin: `http://localhost:${server.port}` }),
    ).toMatchObject({
      status: 403,
    });
    expect(await connect({ origin: null })).toMatchObject({ status: 403 });
  });

  it("404 on any other path", async () => {
    expect(await connect({ path: "/socket" })).toMatchObject({ status: 404 });
  });
});

// Real bash in node-pty behind the shell and the runs.
describeWith(["bash"], "WebSocket API", () => {
  it("answers malformed messages with a sentence and keeps the connection", async () => {
    const c = await open();
    expect(await c.raw("not json")).toEqual({
      id: null,
      error: { message: expect.stringMatching(/is not JSON/) },
    });
    expect(await c.raw('{"id":7,"method":"hello"}')).toEqual({
      id: 7,
      error: {
        message: 'The message is not a valid request: "args" is required.',
      },
    });
    expect(await c.raw(Buffer.from([1, 2, 3]))).toEqual({
      id: null,
      error: { message: expect.stringMatching(/Binary messages/) },
    });
    expect(await c.call("openDesign", { name: 42 })).toMatchObject({
      error: {
        message:
          'Invalid arguments to "openDesign": "args.name" must be a string (got a number).',
      },
    });
    expect(await c.call("formatAllDisks", {})).toMatchObject({
      error: {
        message: expect.stringMatching(/^Unknown method "formatAllDisks"/),
      },
    });
    expect(await c.call("hello", {})).toMatchObject({
      result: { version: "0.0.1" },
    });
  });

  it("round-trips every method that exists, and names the ones that do not yet", async () => {
    const c = await open();
    expect(await c.call("hello", {})).toEqual({
      id: expect.any(Number),
      result: {
        version: "0.0.1",
        machine: "sandbox",
        transport: "websocket",
        controlling: true,
      },
    });
    const design = { format: "tabula/1", hostname: "wire" };
    expect(
      await c.call("saveDesign", { name: "hosts/wire", design }),
    ).toMatchObject({
      result: { path: path.join(workspace, "hosts", "wire.json") },
    });
    expect(await c.call("listDesigns", {})).toMatchObject({
      result: {
        workspace,
        designs: expect.arrayContaining(["hosts/wire.json"]),
      },
    });
    expect(await c.call("openDesign", { name: "hosts/wire" })).toMatchObject({
      result: { design },
    });
    expect(await c.call("saveDesign", { name: "../x", design })).toMatchObject({
      error: { message: expect.stringMatching(/contains "\.\."/) },
    });
    // validate: a real example design is clean, a broken one names the field.
    const example = JSON.parse(
      readFileSync("docs/examples/install.json", "utf8"),
    ) as unknown;
    expect(await c.call("validate", { design: example })).toMatchObject({
      result: { problems: [] },
    });
    expect(
      await c.call("validate", { design: { format: "tabula/1" } }),
    ).toMatchObject({
      result: {
        problems: expect.arrayContaining([
          expect.objectContaining({ path: "mode", severity: "error" }),
        ]),
      },
    });
    // The sandbox's pretend machine: its facts, and its root partition as the live system.
    expect(await c.call("probe", {})).toMatchObject({
      result: { machine: "sandbox", os: { kind: "nixos-livecd" } },
    });
    const pretend = (await c.call("scan", {})) as {
      result: { root: string; entries: { path: string }[] };
    };
    expect(pretend.result.root).toBe(backend.sandbox!.scanRoot);
    expect(pretend.result.entries.map((e) => e.path)).toContain(
      "/var/lib/docker",
    );
  });

  it("round-trips plans, plan folders, scans and folder listings", async () => {
    const c = await open();
    const example = JSON.parse(
      readFileSync("docs/examples/install.json", "utf8"),
    ) as unknown;
    const preview = (await c.call("plan", { design: example })) as {
      result: {
        plan: { phases: { name: string }[] };
        files: { path: string }[];
      };
    };
    expect(preview.result.plan.phases.map((p) => p.name)).toEqual(["install"]);
    expect(preview.result.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "steps.sh",
        "plan.json",
        "design.json",
        "flake.nix",
      ]),
    );
    expect(
      await c.call("plan", { design: { format: "tabula/1" } }),
    ).toMatchObject({ result: { plan: null, files: [] } });
    expect(
      await c.call("writePlan", { name: "ex", design: example }),
    ).toMatchObject({
      result: {
        dir: path.join(workspace, "ex.plan"),
        files: expect.arrayContaining(["steps.sh", "nixos/persistence.nix"]),
      },
    });
    expect(
      await c.call("writePlan", {
        name: "bad",
        design: { format: "tabula/1" },
      }),
    ).toMatchObject({
      error: {
        message: expect.stringMatching(
          /^The design has \d+ errors, so it has no plan yet/,
        ),
      },
    });
    const scanned = (await c.call("scan", { root: workspace })) as {
      result: { root: string; entries: { path: string }[] };
    };
    expect(scanned.result.root).toBe(workspace);
    expect(scanned.result.entries.map((e) => e.path)).toContain("/ex.plan");
    expect(
      await c.call("listDir", { root: workspace, path: "ex.plan" }),
    ).toMatchObject({
      result: {
        entries: expect.arrayContaining([
          expect.objectContaining({ name: "steps.sh", kind: "file" }),
          expect.objectContaining({ name: "nixos", kind: "dir" }),
        ]),
      },
    });
    expect(
      await c.call("listDir", { root: workspace, path: "../" }),
    ).toMatchObject({
      error: { message: expect.stringMatching(/contains "\.\."/) },
    });
  });

  it("runs a phase the way the sandbox allows, streaming its terminal and its status", async () => {
    const c = await open();
    const example = JSON.parse(
      readFileSync("docs/examples/install.json", "utf8"),
    ) as unknown;
    expect(
      await c.call("runPhase", {
        design: example,
        phase: "migrate",
        dryRun: true,
        cols: 100,
        rows: 30,
      }),
    ).toMatchObject({
      error: {
        message:
          'A install plan has no phase "migrate"; its phases are install.',
      },
    });
    // A real install was asked for: the sandbox's disks are pretend, so it
    // runs as a dry run on the sandbox's target folder, and says so, before
    // (runMode) and when it starts.
    const before = (await c.call("runMode", {
      phase: "install",
      dryRun: false,
    })) as { result: { dryRun: boolean; note: string } };
    expect(before.result.dryRun).toBe(true);
    expect(before.result.note).toMatch(/install runs as a dry run/);
    const started = (await c.call("runPhase", {
      design: example,
      phase: "install",
      dryRun: false,
      cols: 100,
      rows: 30,
    })) as {
      result: {
        runId: string;
        terminalId: string;
        dryRun: boolean;
        note: string;
      };
    };
    expect(started.result.dryRun).toBe(true);
    expect(started.result.note).toBe(before.result.note);
    const { runId, terminalId } = started.result;
    const final = await c.next(
      (m) =>
        m.event === "run.status" &&
        (m.payload as { state: string }).state !== "running",
    );
    expect(final.payload).toMatchObject({
      runId,
      state: "succeeded",
      percent: 100,
      exitCode: 0,
    });
    const exit = await c.next((m) => m.event === "terminal.exit");
    expect(exit.payload).toEqual({ terminalId, exitCode: 0, signal: null });
    const shown = c.messages
      .filter((m) => m.event === "terminal.data")
      .map((m) => (m.payload as { data: string }).data)
      .join("");
    expect(shown).toMatch(/nixos-install/);
    expect(await c.call("runStatus", { runId })).toMatchObject({
      result: { state: "succeeded" },
    });
    const log = (await c.call("runLog", { runId })) as {
      result: { text: string; path: string };
    };
    expect(log.result.path.startsWith(path.join(base, "state", "logs"))).toBe(
      true,
    );
    expect(log.result.text).toMatch(/nixos-install/);
    expect(log.result.text).toContain(
      `TARGET=${backend.sandbox!.installTarget} `,
    );
    expect(log.result.text).toContain(
      "Dry run: every command is printed, nothing is changed.",
    );
    expect(await c.call("cancelRun", { runId })).toEqual({
      id: expect.any(Number),
      result: { cancelled: false },
    });
    expect(await c.call("runStatus", { runId: "nope" })).toMatchObject({
      error: { message: expect.stringMatching(/run "nope" does not exist/) },
    });
  });

  it("opens a shell that takes input, resizes and is killed, over the socket", async () => {
    const c = await open();
    const opened = (await c.call("openShell", { cols: 80, rows: 24 })) as {
      result: { terminalId: string };
    };
    const { terminalId } = opened.result;
    const output = () =>
      c.messages
        .filter(
          (m) =>
            m.event === "terminal.data" &&
            (m.payload as { terminalId: string }).terminalId === terminalId,
        )
        .map((m) => (m.payload as { data: string }).data)
        .join("");
    expect(
      await c.call("terminalResize", { terminalId, cols: 120, rows: 40 }),
    ).toMatchObject({ result: null });
    expect(
      await c.call("terminalInput", {
        terminalId,
        data: "echo size=$(tput cols)x$(tput lines) sum=$((40+2))\r",
      }),
    ).toMatchObject({ result: null });
    await vi.waitFor(() => expect(output()).toMatch(/size=120x40 sum=42/), {
      timeout: 10_000,
    });
    expect(
      await c.call("terminalAck", { terminalId, chars: output().length }),
    ).toMatchObject({ result: null });
    expect(await c.call("terminalKill", { terminalId })).toMatchObject({
      result: null,
    });
    const exit = await c.next((m) => m.event === "terminal.exit");
    expect((exit.payload as { terminalId: string }).terminalId).toBe(
      terminalId,
    );
    expect(
      await c.call("terminalInput", { terminalId, data: "x" }),
    ).toMatchObject({
      error: { message: expect.stringMatching(/does not exist/) },
    });
  });

  it("gives control to one client; the other may only say hello, and takes over when it is free", async () => {
    const first = await open();
    expect(await first.call("hello", {})).toMatchObject({
      result: { controlling: true },
    });
    const second = await open();
    expect(await second.call("hello", {})).toMatchObject({
      result: { controlling: false },
    });
    expect(await second.call("listDesigns", {})).toMatchObject({
      error: { message: NOT_CONTROLLING },
    });
    expect(await first.call("listDesigns", {})).toHaveProperty("result");
    first.ws.close();
    await first.closed();
    await new Promise((r) => setTimeout(r, 50));
    expect(await second.call("hello", {})).toMatchObject({
      result: { controlling: true },
    });
    expect(await second.call("listDesigns", {})).toHaveProperty("result");
  });

  it("streams events, in order, to the controlling client only", async () => {
    const controller = await open();
    await controller.call("hello", {});
    const observer = await open();
    await observer.call("hello", {});
    for (let i = 0; i < 500; i++)
      backend.events.emit("terminal.data", {
        terminalId: "t1",
        data: `line ${i}\n`,
      });
    backend.events.emit("terminal.exit", {
      terminalId: "t1",
      exitCode: 0,
      signal: null,
    });
    await controller.next((m) => m.event === "terminal.exit");
    const data = controller.messages.filter((m) => m.event === "terminal.data");
    expect(data).toHaveLength(500);
    expect(data.map((m) => (m.payload as { data: string }).data)).toEqual(
      Array.from({ length: 500 }, (_, i) => `line ${i}\n`),
    );
    expect(await observer.call("hello", {})).toHaveProperty("result");
    expect(observer.messages.filter((m) => "event" in m)).toEqual([]);
  });

  it("drops a controller that stops answering pings, freeing control", async () => {
    const silent = await open({ autoPong: false });
    await silent.call("hello", {});
    const other = await open();
    expect(await other.call("hello", {})).toMatchObject({
      result: { controlling: false },
    });
    await silent.closed(); // heartbeat is 200 ms here
    expect(await other.call("hello", {})).toMatchObject({
      result: { controlling: true },
    });
  });

  it("works with the renderer's own socket client", async () => {
    const states: string[] = [];
    const client = createSocketClient({
      url: `ws://127.0.0.1:${server.port}/api`,
      createSocket: (url) =>
        new WebSocket(url, { origin, headers: { Cookie: cookie } }) as never,
      onState: (s) => states.push(s),
    });
    const hello = await client.client.call("hello", {});
    expect(hello).toMatchObject({ transport: "websocket", controlling: true });
    const got = new Promise((r) => client.client.on("run.status", r));
    const status = {
      runId: "r1",
      phase: "install",
      steps: [],
      percent: 40,
      state: "running" as const,
      exitCode: null,
      build: null,
      why: null,
    };
    backend.events.emit("run.status", status);
    expect(await got).toEqual(status);
    await expect(
      client.client.call("openDesign", { name: "none" }),
    ).rejects.toThrow(/Design "none.json" does not exist/);
    client.close();
    expect(states).toEqual(["connected", "disconnected"]);
  });
});
