import { describe, expect, it } from "vitest";
import type { Hello } from "../../../../shared/api/contract";
import { createWireClient } from "../../../../shared/api/wire-client";

const hello: Hello = {
  version: "0.1.0",
  machine: "sandbox",
  transport: "websocket",
  controlling: true,
};

function setup() {
  const sent: { id: number; method: string; args: unknown }[] = [];
  const problems: string[] = [];
  const client = createWireClient((text) => sent.push(JSON.parse(text)), {
    onProtocolError: (m) => problems.push(m),
  });
  return { client, sent, problems };
}

describe("wire client", () => {
  it("sends numbered requests and resolves each with its own reply", async () => {
    const { client, sent } = setup();
    const a = client.call("hello", {});
    const b = client.call("openDesign", { name: "laptop" });
    expect(sent).toEqual([
      { id: 1, method: "hello", args: {} },
      { id: 2, method: "openDesign", args: { name: "laptop" } },
    ]);
    expect(client.pending()).toBe(2);
    // Replies may arrive out of order.
    client.receive(JSON.stringify({ id: 2, result: { design: { x: 1 } } }));
    client.receive(JSON.stringify({ id: 1, result: hello }));
    await expect(a).resolves.toEqual(hello);
    await expect(b).resolves.toEqual({ design: { x: 1 } });
    expect(client.pending()).toBe(0);
  });

  it("rejects with the server's sentence", async () => {
    const { client } = setup();
    const call = client.call("openDesign", { name: "missing" });
    client.receive(
      JSON.stringify({
        id: 1,
        error: { message: 'Design "missing.json" does not exist.' },
      }),
    );
    await expect(call).rejects.toThrow('Design "missing.json" does not exist.');
  });

  it("rejects a call whose send fails, and forgets it", async () => {
    const client = createWireClient(() => {
      throw new Error("socket closed");
    });
    await expect(client.call("hello", {})).rejects.toThrow("socket closed");
    expect(client.pending()).toBe(0);
  });

  it("dispatches events to the subscribers of that event only", () => {
    const { client } = setup();
    const data: unknown[] = [];
    const exits: unknown[] = [];
    const off = client.on("terminal.data", (p) => data.push(p));
    client.on("terminal.exit", (p) => exits.push(p));
    const payload = { terminalId: "t1", data: "hi" };
    client.receive(JSON.stringify({ event: "terminal.data", payload }));
    off();
    client.receive(JSON.stringify({ event: "terminal.data", payload }));
    expect(data).toEqual([payload]);
    expect(exits).toEqual([]);
  });

  it("keeps dispatching when a handler throws, and reports it", () => {
    const { client, problems } = setup();
    const seen: unknown[] = [];
    client.on("run.status", () => {
      throw new Error("boom");
    });
    client.on("run.status", (p) => seen.push(p));
    client.receive(JSON.stringify({ event: "run.status", payload: 1 }));
    expect(seen).toEqual([1]);
    expect(problems).toEqual(['A handler of "run.status" failed: boom']);
  });

  it("reports broken messages without throwing at the transport", () => {
    const { client, problems } = setup();
    expect(() => {
      client.receive("not json");
      client.receive("[1,2]");
      client.receive(JSON.stringify({ id: 99, result: 1 }));
      client.receive(JSON.stringify({ id: null, error: { message: "bad" } }));
      client.receive(JSON.stringify({ hello: 1 }));
    }).not.toThrow();
    expect(problems).toEqual([
      "The server sent a message that is not JSON: not json",
      "The server sent a message that is not an object: [1,2]",
      "The server answered request 99, which is not waiting.",
      "The server refused a message: bad",
      'The server sent a message with neither an id nor an event: {"hello":1}',
    ]);
  });

  it("fails every waiting call when the connection is gone", async () => {
    const { client } = setup();
    const calls = [client.call("hello", {}), client.call("probe", {})];
    client.failAll("connection lost");
    for (const call of calls)
      await expect(call).rejects.toThrow("connection lost");
    expect(client.pending()).toBe(0);
    // A late reply to a failed call is reported, not delivered.
    client.receive(JSON.stringify({ id: 1, result: hello }));
  });

  it("refuses arguments that cannot be serialized, naming the method", async () => {
    const { client, sent } = setup();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(client.call("validate", { design: cyclic })).rejects.toThrow(
      /arguments of "validate" cannot be sent/,
    );
    expect(sent).toEqual([]);
  });
});
