// `tabula serve`: the app for a browser (headless machines, the LiveCD over
// ssh, development). See docs/remote.md.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { appRoot } from "../app-root";
import type { CliIO, Command } from "../cli";
import { VERSION } from "../cli";
import {
  isLoopbackHost,
  startServer,
  urlHost,
  type RunningServer,
} from "../remote/server";
import {
  BACKEND_USAGE,
  openBackend,
  takeBackendOptions,
} from "./backend-options";

export const DEFAULT_PORT = 7878;
export const DEFAULT_HOST = "127.0.0.1";

const USAGE = `Usage: tabula serve [--port N] [--host H] [--sandbox [--scenario S]|--real] [--workspace DIR]

Serves Tabula's UI to a browser and its API over a WebSocket at /api, on one
port. It prints an address with a fresh access token; only a browser that
opened that address gets in.

Options:
  --port N           port to listen on (default ${DEFAULT_PORT}; 0 for any free port)
  --host H           address to listen on (default ${DEFAULT_HOST}, this machine only);
                     anything else exposes Tabula to the network (a warning is printed)
${BACKEND_USAGE}

From another machine, prefer an ssh tunnel to exposing the port:
  ssh -L ${DEFAULT_PORT}:127.0.0.1:${DEFAULT_PORT} user@machine   (then open the printed address)
`;

/**
 * Where `npm run build` puts the renderer. Found from the app root, since this
 * module also runs bundled (out/main/cli.js) in packaged apps.
 */
export function builtRendererDir(): string {
  return path.join(appRoot(import.meta.url), "out/renderer");
}

export interface ServeDeps {
  rendererDir?: string;
  /** Resolves to stop the server (default: SIGINT or SIGTERM). */
  stopped?: Promise<void>;
  /** Told once the server listens (tests read the URL from here). */
  onListening?: (server: RunningServer) => void;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535)
    throw new Error(
      `--port needs a number from 0 to 65535, not "${value ?? ""}".`,
    );
  return Number(value);
}

function parseServeArgs(args: string[]) {
  const { choice, rest } = takeBackendOptions(args);
  let port = DEFAULT_PORT;
  let host = DEFAULT_HOST;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    if (flag === "--port") {
      port = parsePort(inline ?? rest[++i]);
    } else if (flag === "--host") {
      const value = inline ?? rest[++i];
      if (!value)
        throw new Error("--host needs an address, e.g. --host 127.0.0.1.");
      host = value;
    } else {
      throw new Error(
        `tabula serve does not take "${arg}". Run "tabula serve --help" for its options.`,
      );
    }
  }
  return { choice, port, host };
}

/** Addresses a browser elsewhere could use when listening on all interfaces. */
function reachableHosts(host: string): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [host];
  const found: string[] = [];
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? [])
      if (!a.internal && (host === "::" || a.family === "IPv4"))
        found.push(a.address);
  return found.length ? found : [host];
}

export async function serve(
  args: string[],
  io: CliIO,
  deps: ServeDeps = {},
): Promise<number> {
  let parsed;
  try {
    parsed = parseServeArgs(args);
  } catch (error) {
    io.err(`tabula serve: ${(error as Error).message}\n`);
    return 2;
  }
  const rendererDir = deps.rendererDir ?? builtRendererDir();
  if (!existsSync(path.join(rendererDir, "index.html"))) {
    io.err(
      `tabula serve: the web UI is not built (${path.join(rendererDir, "index.html")} is missing). Run "npm run build" first, or "npm start", which builds and then serves.\n`,
    );
    return 1;
  }
  let backend;
  try {
    backend = await openBackend(parsed.choice, VERSION);
  } catch (error) {
    io.err(`tabula serve: ${(error as Error).message}\n`);
    return 1;
  }
  const token = randomBytes(32).toString("base64url");
  let server: RunningServer;
  try {
    server = await startServer({
      backend,
      rendererDir,
      host: parsed.host,
      port: parsed.port,
      token,
      log: (line) => io.err(`tabula serve: ${line}\n`),
    });
  } catch (error) {
    await backend.close();
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${urlHost(parsed.host)}:${parsed.port}`;
    io.err(
      `tabula serve: ${
        code === "EADDRINUSE"
          ? `port ${parsed.port} on ${parsed.host} is already in use (another tabula serve?); pass --port N, or --port 0 for any free port.`
          : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
            ? `cannot listen on ${where}: this machine has no such address; check --host.`
            : code === "EACCES"
              ? `not allowed to listen on ${where}; use a port above 1023.`
              : `cannot listen on ${where}: ${(error as Error).message}`
      }\n`,
    );
    return 1;
  }

  if (!isLoopbackHost(parsed.host))
    io.err(
      `tabula serve: WARNING: listening on ${parsed.host} makes Tabula reachable from the network over plain HTTP. Anyone who learns the address below can act on this machine's disks. Prefer the default ${DEFAULT_HOST} with an ssh tunnel (docs/remote.md).\n`,
    );
  const machine = backend.sandbox
    ? `the sandbox machine (a pretend machine, scenario "${backend.sandbox.scenario}"; nothing real is touched)`
    : "this machine (real disks)";
  const urls = reachableHosts(parsed.host).map(
    (h) => `  http://${urlHost(h)}:${server.port}/?token=${token}`,
  );
  io.out(
    [
      `Tabula ${VERSION} is serving ${machine}.`,
      `Workspace: ${backend.workspace}`,
      ...(backend.sandbox
        ? [
            `Sandbox folder: ${backend.sandbox.dir} (thrown away when Tabula stops)`,
          ]
        : []),
      "Open this address in a browser (it holds the access token; keep it private):",
      "",
      ...urls,
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  deps.onListening?.(server);

  // Terminals must not outlive the server, even if it ends abruptly.
  const killAll = () => backend.killAllNow();
  process.on("exit", killAll);
  await (deps.stopped ?? untilSignal());
  process.off("exit", killAll);
  await server.close();
  await backend.close();
  io.out("Tabula stopped.\n");
  return 0;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export const serveCommand: Command = {
  summary: "serve the app to a browser, with the API over a WebSocket",
  usage: USAGE,
  run: (args, io) => serve(args, io),
};
