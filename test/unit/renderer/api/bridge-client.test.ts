import { describe, expect, it } from "vitest";
import type { BridgeEvent, TabulaBridge } from "../../../../shared/api/bridge";
import { API_METHODS } from "../../../../shared/api/contract";
import {
  createBridgeClient,
  isBridge,
} from "../../../../renderer/src/api/bridge-client";

function fakeBridge() {
  const invoked: { method: string; args: unknown }[] = [];
  let listener: ((m: BridgeEvent) => void) | null = null;
  let subscriptions = 0;
  const methods = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      async (args: unknown) => {
        invoked.push({ method: m, args });
        if (m === "openDesign")
          return { error: { message: 'Design "x.json" does not exist.' } };
        return { result: { echo: m } };
      },
    ]),
  );
  const bridge = {
    ...methods,
    onEvent(l: (m: BridgeEvent) => void) {
      subscriptions++;
      listener = l;
      return () => {
        listener = null;
      };
    },
  } as unknown as TabulaBridge;
  return {
    bridge,
    invoked,
    send: (m: BridgeEvent) => listener?.(m),
    subscriptions: () => subscriptions,
  };
}

describe("Electron bridge client", () => {
  it("recognizes the bridge and nothing else", () => {
    expect(isBridge(fakeBridge().bridge)).toBe(true);
    expect(isBridge(undefined)).toBe(false);
    expect(isBridge({ hello: () => {} })).toBe(false);
  });

  it("calls the method's own function and unwraps the reply", async () => {
    const { bridge, invoked } = fakeBridge();
    const client = createBridgeClient(bridge);
    await expect(client.call("listDesigns", {})).resolves.toEqual({
      echo: "listDesigns",
    });
    expect(invoked).toEqual([{ method: "listDesigns", args: {} }]);
  });

  it("rejects with the backend's sentence, not Electron's wrapper", async () => {
    const client = createBridgeClient(fakeBridge().bridge);
    await expect(client.call("openDesign", { name: "x" })).rejects.toThrow(
      /^Design "x.json" does not exist.$/,
    );
  });

  it("subscribes to the bridge once and routes events by name", () => {
    const fake = fakeBridge();
    const client = createBridgeClient(fake.bridge);
    const data: unknown[] = [];
    const off = client.on("terminal.data", (p) => data.push(p));
    client.on("run.status", () => {});
    expect(fake.subscriptions()).toBe(1);
    fake.send({ event: "terminal.data", payload: 1 });
    fake.send({ event: "terminal.exit", payload: 2 });
    off();
    fake.send({ event: "terminal.data", payload: 3 });
    expect(data).toEqual([1]);
  });
});
