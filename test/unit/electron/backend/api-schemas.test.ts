import { describe, expect, it } from "vitest";
import { API_METHODS, type ApiHandlers } from "../../../../shared/api/contract";
import {
  argSchemas,
  checkArgs,
  parseWireRequest,
} from "../../../../electron/backend/api-schemas";
import { createDispatch } from "../../../../electron/backend/api-dispatch";

describe("API argument schemas", () => {
  it("has one schema per method", () => {
    expect(Object.keys(argSchemas).sort()).toEqual([...API_METHODS].sort());
  });

  it("accepts well-formed arguments", () => {
    expect(checkArgs("hello", {})).toEqual({ ok: true, value: {} });
    expect(
      checkArgs("runPhase", {
        design: { format: "tabula/1" },
        phase: "install",
        dryRun: true,
        cols: 80,
        rows: 24,
      }).ok,
    ).toBe(true);
    expect(checkArgs("scan", {}).ok).toBe(true);
    expect(
      checkArgs("listQuarantine", {
        device: "/dev/nvme0n1p2",
        subvolume: null,
        path: "/var/lib",
      }).ok,
    ).toBe(true);
    expect(
      checkArgs("listQuarantine", { device: "/dev/vdb2", path: "" }).ok,
    ).toBe(true);
    expect(checkArgs("runMode", { phase: "migrate", dryRun: false }).ok).toBe(
      true,
    );
    expect(checkArgs("terminalAck", { terminalId: "t1", chars: 5000 }).ok).toBe(
      true,
    );
  });

  it.each([
    ["hello", null, '"args" must be an object (got null)'],
    ["hello", { x: 1 }, '"args" has unknown field "x"; remove it'],
    ["openDesign", {}, '"args.name" is required'],
    ["openDesign", { name: 7 }, '"args.name" must be a string (got a number)'],
    ["openDesign", { name: "" }, '"args.name" must not be empty'],
    ["saveDesign", { name: "x" }, '"args.design" is required'],
    [
      "runPhase",
      {
        design: {},
        phase: "format-everything",
        dryRun: true,
        cols: 80,
        rows: 24,
      },
      '"args.phase" must be one of "install", "prepare", "migrate", "bootloader", "recover", "revert"',
    ],
    [
      "listQuarantine",
      { device: "nvme0n1p2", path: "/" },
      '"args.device" must be a device path such as /dev/sda2',
    ],
    [
      "listQuarantine",
      { device: "/dev/sda2", root: "/", path: "/" },
      '"args" has unknown field "root"; remove it',
    ],
    ["listQuarantine", { device: "/dev/sda2" }, '"args.path" is required'],
    ["runMode", { phase: "migrate" }, '"args.dryRun" is required'],
    [
      "openShell",
      { cols: 80.5, rows: 24 },
      '"args.cols" must be an integer (got a fraction)',
    ],
    ["openShell", { cols: 0, rows: 24 }, '"args.cols" must be at least 2'],
    [
      "terminalResize",
      { terminalId: "t", cols: 80, rows: 100000 },
      '"args.rows" must be at most 1000',
    ],
    [
      "terminalInput",
      { terminalId: "t", data: "x".repeat((1 << 20) + 1) },
      '"args.data" is too long (at most 1048576 characters)',
    ],
  ] as const)("%s %j: %s", (method, args, why) => {
    const checked = checkArgs(method, args);
    expect(checked.ok).toBe(false);
    if (!checked.ok)
      expect(checked.error).toBe(`Invalid arguments to "${method}": ${why}.`);
  });
});

describe("wire requests", () => {
  it("parses a request", () => {
    expect(parseWireRequest('{"id":3,"method":"hello","args":{}}')).toEqual({
      ok: true,
      value: { id: 3, method: "hello", args: {} },
    });
  });

  it.each([
    ["not json", undefined, /is not JSON; send \{"id"/],
    [
      "[]",
      undefined,
      /is not a valid request: it must be an object \(got an array\)/,
    ],
    ['{"method":"hello","args":{}}', undefined, /"id" is required/],
    [
      '{"id":"1","method":"hello","args":{}}',
      undefined,
      /"id" must be a number/,
    ],
    ['{"id":4,"args":{}}', 4, /"method" is required/],
    ['{"id":5,"method":"hello"}', 5, /"args" is required/],
    ['{"id":6,"method":"hello","args":{},"x":1}', 6, /unknown field "x"/],
  ])("refuses %s, answering id %j", (text, id, why) => {
    const parsed = parseWireRequest(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(why);
      expect(parsed.id).toBe(id);
    }
  });
});

describe("dispatch", () => {
  const calls: unknown[] = [];
  const handlers = {
    hello: async () => ({
      version: "1",
      machine: "sandbox",
      transport: "websocket",
      controlling: true,
    }),
    openDesign: async (args: { name: string }) => {
      calls.push(args);
      throw new Error(`Design "${args.name}.json" does not exist.`);
    },
    terminalKill: async () => undefined,
    probe: async () => {
      throw "a string, not an Error";
    },
  } as unknown as ApiHandlers;
  const dispatch = createDispatch(handlers);

  it("answers with the handler's result", async () => {
    expect(await dispatch("hello", {})).toMatchObject({
      result: { version: "1" },
    });
    expect(await dispatch("terminalKill", { terminalId: "t" })).toEqual({
      result: null,
    });
  });

  it("turns a thrown error into its sentence", async () => {
    expect(await dispatch("openDesign", { name: "x" })).toEqual({
      error: { message: 'Design "x.json" does not exist.' },
    });
    expect(await dispatch("probe", {})).toEqual({
      error: { message: '"probe" failed without saying why.' },
    });
  });

  it("never calls a handler with bad arguments", async () => {
    calls.length = 0;
    const reply = await dispatch("openDesign", { name: 1 });
    expect(reply).toEqual({
      error: {
        message:
          'Invalid arguments to "openDesign": "args.name" must be a string (got a number).',
      },
    });
    expect(calls).toEqual([]);
  });

  it("names an unknown method and lists the real ones", async () => {
    const reply = await dispatch("formatDisk", {});
    expect(reply).toEqual({
      error: {
        message: expect.stringMatching(
          /^Unknown method "formatDisk"; the methods are hello, probe, .*terminalKill\.$/,
        ),
      },
    });
    // Inherited object keys are not methods.
    expect(await dispatch("constructor", {})).toHaveProperty("error");
    expect(await dispatch("__proto__", {})).toHaveProperty("error");
  });
});
