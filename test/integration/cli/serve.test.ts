import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../../electron/cli";
import { serve } from "../../../electron/cli/serve";
import type { RunningServer } from "../../../electron/remote/server";
import { describeWith } from "../../support/needs";

let base: string;
let rendererDir: string;
let workspace: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), "api-serve-"));
  rendererDir = path.join(base, "renderer");
  workspace = path.join(base, "ws");
  mkdirSync(rendererDir);
  mkdirSync(workspace);
  writeFileSync(path.join(rendererDir, "index.html"), "<p>ui</p>");
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function capture(): CliIO & {
  out: (t: string) => void;
  stdout: () => string;
  stderr: () => string;
} {
  let out = "";
  let err = "";
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdout: () => out,
    stderr: () => err,
  };
}

/** Runs `tabula serve` in-process until the test has looked at it. */
async function running(
  args: string[],
  look: (
    server: RunningServer,
    io: ReturnType<typeof capture>,
  ) => Promise<void>,
) {
  const io = capture();
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let seen: Promise<void> = Promise.resolve();
  const code = serve(args, io, {
    rendererDir,
    stopped,
    onListening: (server) => {
      seen = look(server, io).finally(stop);
    },
  });
  const exit = await code;
  await seen;
  return { exit, io };
}

describe("tabula serve", () => {
  it("binds loopback by default and prints the address with a fresh token", async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { exit, io } = await running(
        ["--port", "0", "--workspace", workspace, "--sandbox"],
        async (server, io) => {
          expect(server.host).toBe("127.0.0.1");
          const url =
            /^ {2}(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43}))$/m.exec(
              io.stdout(),
            );
          expect(url).not.toBeNull();
          expect(Number(url![2])).toBe(server.port);
          tokens.push(url![3]!);
          const res = await fetch(url![1]!, { redirect: "manual" });
          expect(res.status).toBe(303);
        },
      );
      expect(exit).toBe(0);
      expect(io.stdout()).toMatch(
        /serving the sandbox machine \(a pretend machine, scenario "livecd"; nothing real is touched\)/,
      );
      expect(io.stdout()).toContain(`Workspace: ${workspace}`);
      expect(io.stdout()).toMatch(/Tabula stopped\.\n$/);
      expect(io.stderr()).not.toMatch(/WARNING/);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it("makes the sandbox of the scenario asked for, and throws it away on stop", async () => {
    let folder = "";
    const { exit, io } = await running(
      [
        "--port",
        "0",
        "--workspace",
        workspace,
        "--sandbox",
        "--scenario",
        "stateless",
      ],
      async (_server, io) => {
        folder =
          /^Sandbox folder: (\S+) \(thrown away when Tabula stops\)$/m.exec(
            io.stdout(),
          )![1]!;
        // After the conversion: the kept state, the quarantine, the live root.
        for (const made of [
          "nvme0n1p2/persistent/etc/nixos",
          "nvme0n1p2/old-root/var/lib/docker",
          "root/var/lib/docker",
        ])
          expect(existsSync(path.join(folder, made)), made).toBe(true);
      },
    );
    expect(exit).toBe(0);
    expect(io.stdout()).toContain('scenario "stateless"');
    expect(existsSync(folder)).toBe(false);
  });

  it("warns when asked to listen beyond loopback", async () => {
    const { exit, io } = await running(
      ["--port", "0", "--host", "0.0.0.0", "--workspace", workspace],
      async (server, io) => {
        expect(server.host).toBe("0.0.0.0");
        expect(io.stdout()).toMatch(/http:\/\/[^ ]+:\d+\/\?token=/);
      },
    );
    expect(exit).toBe(0);
    expect(io.stderr()).toMatch(
      /WARNING: listening on 0\.0\.0\.0 makes Tabula reachable from the network/,
    );
  });

  it("says the UI is not built, and what to run", async () => {
    const io = capture();
    expect(
      await serve(["--port", "0"], io, {
        rendererDir: path.join(base, "nope"),
      }),
    ).toBe(1);
    expect(io.stderr()).toMatch(
      /the web UI is not built .*index\.html is missing\)\. Run "npm run build" first/,
    );
  });

  it.each([
    [["--port", "http"], /--port needs a number from 0 to 65535, not "http"/],
    [["--port", "70000"], /--port needs a number/],
    [["--host"], /--host needs an address/],
    [["--sandbox", "--real"], /contradict each other/],
    [
      ["--scenario", "cloud"],
      /--scenario must be one of livecd, installed, stateless/,
    ],
    [["--verbose"], /does not take "--verbose"/],
  ])("refuses %j with a sentence", async (args, why) => {
    const io = capture();
    expect(await serve(args, io, { rendererDir })).toBe(2);
    expect(io.stderr()).toMatch(why);
  });

  it("names a missing workspace and a busy port", async () => {
    let io = capture();
    expect(
      await serve(["--port", "0", "--workspace", path.join(base, "typo")], io, {
        rendererDir,
      }),
    ).toBe(1);
    expect(io.stderr()).toMatch(/workspace folder .*typo does not exist/);

    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    io = capture();
    try {
      expect(
        await serve(["--port", String(port), "--workspace", workspace], io, {
          rendererDir,
        }),
      ).toBe(1);
    } finally {
      blocker.close();
    }
    expect(io.stderr()).toMatch(
      new RegExp(
        `port ${port} on 127.0.0.1 is already in use .*--port 0 for any free port`,
      ),
    );
  });
});

describeWith(["build"], "tabula serve as a process", () => {
  it("serves the built app from the launcher and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "electron/bin/tabula.mjs",
        "serve",
        "--port",
        "0",
        "--workspace",
        workspace,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) =>
      child.on("exit", (code) => r(code)),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no URL printed: ${out}`)),
          30_000,
        );
        child.stdout.on("data", () => {
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
      });
      const first = await fetch(url, { redirect: "manual" });
      const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
      const page = await fetch(new URL("/", url), {
        headers: { Cookie: cookie },
      });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<div id="app">');
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!;
      const js = await fetch(new URL(`/${script}`, url), {
        headers: { Cookie: cookie },
      });
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toMatch(/javascript/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/Tabula stopped\./);
  });
});
