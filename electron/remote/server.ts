// `tabula serve`: the built renderer over HTTP and the API over a WebSocket
// at /api, on one port. Threat model and choices: docs/security.md.
//
// - Access needs the token printed at start: in the query of the first page
//   load (answered with an HttpOnly SameSite=Strict cookie and a redirect that
//   drops the token from the address bar) or in that cookie afterwards.
//   Missing: 401. Wrong: 403. Also for WebSocket upgrades.
// - A WebSocket upgrade must come from a page of this server: its Origin must
//   be the origin the browser used to reach us (the Host header), so another
//   site open in the same browser cannot drive the backend.
// - Bound to loopback, requests must name a loopback host (a DNS-rebinding
//   page has the attacker's host name in Host).
// - One client controls the backend at a time: the first connection. Others
//   may only call `hello` (controlling: false) and get no events; any message
//   from them takes control once the controller has gone.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { WireEvent, WireReply } from "../../shared/api/contract";
import { createDispatch } from "../backend/api-dispatch";
import { parseWireRequest } from "../backend/api-schemas";
import type { Backend } from "../backend/services";
import { CONTENT_SECURITY_POLICY } from "../content-security-policy";

export interface ServerOptions {
  backend: Backend;
  /** The built renderer (out/renderer), holding index.html. */
  rendererDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  /** Refusals and connections, one line each, for the operator. */
  log?: (line: string) => void;
  /** How often the server pings clients to find dead ones (ms). */
  heartbeatMs?: number;
}

export interface RunningServer {
  host: string;
  port: number;
  /** The address to open, with the token. */
  url: string;
  close(): Promise<void>;
}

/** Largest WebSocket message accepted (a terminal paste fits easily). */
export const MAX_MESSAGE_BYTES = 8 << 20;

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), usb=()",
  "Cache-Control": "no-store",
};

export const NOT_CONTROLLING =
  "Another browser tab or window controls this Tabula server, and only one may at a time. Close the other one, then reload this page to take control.";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    h === "localhost" ||
    h.endsWith(".localhost") ||
    h === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(h)
  );
}

/** The host name part of a Host header ("[::1]:80" -> "::1"). */
function hostName(hostHeader: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracket) return bracket[1]!;
  return hostHeader.replace(/:\d+$/, "");
}

export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, as timingSafeEqual requires.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function cookies(header: string | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return jar;
}

type Verdict =
  | { ok: true; fromQuery: boolean }
  | { ok: false; status: 401 | 403; message: string };

export async function startServer(
  options: ServerOptions,
): Promise<RunningServer> {
  const { backend, token } = options;
  const log = options.log ?? (() => {});
  const loopback = isLoopbackHost(options.host);
  // Named after the token, so two servers on one host keep separate cookies.
  const cookieName = `tabula_${createHash("sha256").update(token).digest("hex").slice(0, 12)}`;
  const rendererRoot = await realpath(options.rendererDir);

  function checkAccess(req: IncomingMessage, url: URL): Verdict {
    const hostHeader = req.headers.host;
    if (!hostHeader)
      return {
        ok: false,
        status: 403,
        message: "The request has no Host header.",
      };
    if (loopback && !isLoopbackHost(hostName(hostHeader)))
      return {
        ok: false,
        status: 403,
        message: `This Tabula server only answers to loopback names (127.0.0.1, localhost), not "${hostName(hostHeader)}".`,
      };
    const fromQuery = url.searchParams.get("token");
    const fromCookie = cookies(req.headers.cookie).get(cookieName);
    const given = fromQuery ?? fromCookie;
    if (given === undefined || given === "")
      return {
        ok: false,
        status: 401,
        message:
          "This Tabula server needs its access token: open the exact address `tabula serve` printed (it ends in ?token=...).",
      };
    if (!sameSecret(given, token))
      return {
        ok: false,
        status: 403,
        message:
          "The access token is wrong (the server was perhaps restarted, which makes a new one): open the address `tabula serve` printed last.",
      };
    return { ok: true, fromQuery: fromQuery !== null };
  }

  function send(
    res: ServerResponse,
    status: number,
    body: string | Buffer,
    headers: Record<string, string> = {},
    head = false,
  ): void {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": String(bytes.length),
      ...headers,
    });
    res.end(head ? undefined : bytes);
  }

  async function handleHttp(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://placeholder");
    const verdict = checkAccess(req, url);
    if (!verdict.ok) {
      log(
        `refused ${req.method} ${url.pathname} from ${req.socket.remoteAddress}: ${verdict.status}`,
      );
      send(res, verdict.status, `${verdict.message}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(
        res,
        405,
        `Only GET and HEAD are served here; the API is a WebSocket at /api.\n`,
        {
          Allow: "GET, HEAD",
        },
      );
      return;
    }
    if (verdict.fromQuery) {
      // Keep the token in an HttpOnly cookie and out of the address bar.
      url.searchParams.delete("token");
      send(res, 303, "See Other\n", {
        Location: url.pathname + url.search,
        "Set-Cookie": `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
      return;
    }
    if (url.pathname === "/api") {
      send(
        res,
        426,
        "/api is a WebSocket; connect with a WebSocket client.\n",
        {
          Upgrade: "websocket",
        },
      );
      return;
    }
    const file = await staticFile(url.pathname);
    if (!file && url.pathname === "/favicon.ico") {
      // Browsers ask for it unprompted; no icon is not an error.
      send(res, 204, "");
      return;
    }
    if (!file) {
      send(res, 404, `Not found: ${url.pathname}\n`);
      return;
    }
    const type =
      CONTENT_TYPES[path.extname(file).toLowerCase()] ??
      "application/octet-stream";
    send(
      res,
      200,
      await readFile(file),
      { "Content-Type": type },
      req.method === "HEAD",
    );
  }

  /** A file of the built renderer, or index.html for app routes, or null. */
  async function staticFile(pathname: string): Promise<string | null> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    if (decoded.includes("\0")) return null;
    const rel = path.posix.normalize(decoded).replace(/^\/+/, "");
    if (rel.startsWith("..")) return null;
    const candidate = path.join(rendererRoot, rel || "index.html");
    try {
      const real = await realpath(candidate);
      if (!real.startsWith(rendererRoot + path.sep)) return null;
      if ((await stat(real)).isFile()) return real;
      if ((await stat(real)).isDirectory()) {
        const index = path.join(real, "index.html");
        return (await stat(index)).isFile() ? index : null;
      }
      return null;
    } catch {
      // Unknown paths without an extension are the app's own routes.
      return path.extname(rel) === ""
        ? path.join(rendererRoot, "index.html")
        : null;
    }
  }

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      log(`error serving ${req.url}: ${String(error)}`);
      if (!res.headersSent)
        send(res, 500, "The server failed on this request.\n");
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
  });

  function refuseUpgrade(socket: Duplex, status: number, message: string) {
    const reason = {
      400: "Bad Request",
      401: "Unauthorized",
      403: "Forbidden",
      404: "Not Found",
    }[status];
    const body = Buffer.from(`${message}\n`, "utf8");
    const headers = {
      ...SECURITY_HEADERS,
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": String(body.length),
      Connection: "close",
    };
    socket.end(
      `HTTP/1.1 ${status} ${reason ?? "Error"}\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("") +
        "\r\n" +
        body.toString("utf8"),
    );
  }

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://placeholder");
    if (url.pathname !== "/api") {
      refuseUpgrade(socket, 404, "The only WebSocket here is /api.");
      return;
    }
    const verdict = checkAccess(req, url);
    if (!verdict.ok) {
      log(
        `refused a WebSocket from ${req.socket.remoteAddress}: ${verdict.status}`,
      );
      refuseUpgrade(socket, verdict.status, verdict.message);
      return;
    }
    const origin = req.headers.origin;
    const own = `http://${req.headers.host}`.toLowerCase();
    if (origin?.toLowerCase() !== own) {
      log(`refused a WebSocket from Origin ${origin ?? "(none)"}`);
      refuseUpgrade(
        socket,
        403,
        `WebSocket connections are accepted only from this server's own pages (Origin ${own}), not from ${origin ?? "a client that sends no Origin"}.`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      wss.emit("connection", ws, req),
    );
  });

  let controller: WebSocket | null = null;
  const alive = new WeakMap<WebSocket, boolean>();

  wss.on("connection", (ws: WebSocket, req: IncomingMessage) => {
    if (!controller) controller = ws;
    alive.set(ws, true);
    log(
      `client ${req.socket.remoteAddress} connected${controller === ws ? " (controlling)" : " (another client controls)"}`,
    );
    const dispatch = createDispatch(
      backend.handlersFor({
        transport: "websocket",
        controlling: () => controller === ws,
      }),
    );

    const reply = (message: WireReply) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };

    ws.on("pong", () => alive.set(ws, true));
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        reply({
          id: null,
          error: {
            message: "Binary messages are not understood; send JSON text.",
          },
        });
        return;
      }
      const parsed = parseWireRequest(rawText(data));
      if (!parsed.ok) {
        reply({ id: parsed.id ?? null, error: { message: parsed.error } });
        return;
      }
      const { id, method, args } = parsed.value;
      if (!controller) controller = ws;
      if (controller !== ws && method !== "hello") {
        reply({ id, error: { message: NOT_CONTROLLING } });
        return;
      }
      void dispatch(method, args).then((answer) => reply({ id, ...answer }));
    });
    ws.on("close", () => {
      if (controller === ws) controller = null;
    });
    ws.on("error", () => ws.terminate());
  });

  const unsubscribe = backend.events.subscribe((event, payload) => {
    const ws = controller;
    if (!ws || ws.readyState !== ws.OPEN) return;
    const message: WireEvent = { event, payload };
    ws.send(JSON.stringify(message));
  });

  // A client that vanished without closing (a suspended laptop) must not
  // keep control forever.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: options.host,
    port,
    url: `http://${urlHost(options.host)}:${port}/?token=${token}`,
    close: async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data as ArrayBuffer).toString("utf8");
}
