import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  apiUrl,
  createSocketClient,
  LOST_CONNECTION,
  NOT_CONNECTED,
  type ConnectionState,
  type SocketLike,
} from "../../../../renderer/src/api/socket-client";

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(text: string) {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(text);
  }
  close() {
    this.closed = true;
    this.drop();
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  reply(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const socket = createSocketClient({
    url: "ws://127.0.0.1:7878/api",
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onState: (s) => states.push(s),
    onProtocolError: () => {},
    delays: [100, 200, 400],
  });
  const last = () => sockets[sockets.length - 1]!;
  return { socket, sockets, states, last };
}

describe("WebSocket client", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("builds the /api URL of the page's own origin", () => {
    expect(apiUrl({ protocol: "http:", host: "127.0.0.1:7878" })).toBe(
      "ws://127.0.0.1:7878/api",
    );
    expect(apiUrl({ protocol: "https:", host: "box:443" })).toBe(
      "wss://box:443/api",
    );
  });

  it("queues calls made while connecting and sends them on open", async () => {
    const { socket, last } = setup();
    expect(socket.state()).toBe("connecting");
    const call = socket.client.call("hello", {});
    expect(last().sent).toEqual([]);
    last().open();
    expect(socket.state()).toBe("connected");
    expect(last().sent.map((t) => JSON.parse(t))).toEqual([
      { id: 1, method: "hello", args: {} },
    ]);
    last().reply({ id: 1, result: { version: "0.1.0" } });
    await expect(call).resolves.toEqual({ version: "0.1.0" });
  });

  it("fails pending calls on a lost connection and reconnects with growing delays", async () => {
    const { socket, sockets, states, last } = setup();
    last().open();
    const call = socket.client.call("probe", {});
    last().drop();
    await expect(call).rejects.toThrow(LOST_CONNECTION);
    expect(socket.state()).toBe("disconnected");
    // While disconnected, a call fails at once with a sentence.
    await expect(socket.client.call("hello", {})).rejects.toThrow(
      NOT_CONNECTED,
    );

    vi.advanceTimersByTime(99);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    last().drop(); // the second attempt fails too
    vi.advanceTimersByTime(199);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    last().open();
    expect(states).toEqual([
      "connected",
      "disconnected",
      "connecting",
      "disconnected",
      "connecting",
      "connected",
    ]);
    // A success resets the delay to the first one.
    last().drop();
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(4);
  });

  it("keeps retrying at the last delay", () => {
    const { sockets, last } = setup();
    for (let i = 0; i < 5; i++) {
      last().drop();
      vi.advanceTimersByTime(400);
    }
    expect(sockets).toHaveLength(6);
  });

  it("retries at once on request", () => {
    const { socket, sockets, last } = setup();
    last().drop();
    socket.retry();
    expect(sockets).toHaveLength(2);
    expect(socket.state()).toBe("connecting");
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(2); // the scheduled attempt was cancelled
  });

  it("delivers events and stops for good after close()", async () => {
    const { socket, sockets, last } = setup();
    last().open();
    const data: unknown[] = [];
    socket.client.on("terminal.data", (p) => data.push(p));
    last().reply({
      event: "terminal.data",
      payload: { terminalId: "t", data: "x" },
    });
    expect(data).toEqual([{ terminalId: "t", data: "x" }]);
    const call = socket.client.call("hello", {});
    socket.close();
    await expect(call).rejects.toThrow(/closed/);
    expect(sockets[0]!.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("ignores messages from a socket it has replaced", async () => {
    const { socket, sockets, last } = setup();
    last().open();
    const old = last();
    old.drop();
    vi.advanceTimersByTime(100);
    last().open();
    const call = socket.client.call("hello", {});
    old.reply({ id: 1, result: "stale" });
    sockets[1]!.reply({ id: 1, result: "fresh" });
    await expect(call).resolves.toBe("fresh");
  });
});
