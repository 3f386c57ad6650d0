import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openWorkspace } from "../../../../electron/backend/files";
import {
  createBackend,
  type Backend,
} from "../../../../electron/backend/services";
import { createDispatch } from "../../../../electron/backend/api-dispatch";
import { takeBackendOptions } from "../../../../electron/cli/backend-options";

let dir: string;
let backend: Backend;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "api-services-"));
  backend = createBackend({
    version: "1.2.3",
    machine: "sandbox",
    files: await openWorkspace(dir),
    stateDir: path.join(dir, "state"),
  });
});
afterAll(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("backend composition", () => {
  it("answers hello with the transport and control of the asking client", async () => {
    let controlling = true;
    const handlers = backend.handlersFor({
      transport: "websocket",
      controlling: () => controlling,
    });
    expect(await handlers.hello({})).toEqual({
      version: "1.2.3",
      machine: "sandbox",
      transport: "websocket",
      controlling: true,
    });
    controlling = false;
    expect((await handlers.hello({})).controlling).toBe(false);
  });

  it("serves designs from the workspace", async () => {
    const dispatch = createDispatch(
      backend.handlersFor({ transport: "electron", controlling: () => true }),
    );
    expect(
      await dispatch("saveDesign", {
        name: "a",
        design: { format: "tabula/1" },
      }),
    ).toEqual({ result: { path: path.join(dir, "a.json") } });
    expect(await dispatch("listDesigns", {})).toEqual({
      result: { workspace: dir, designs: ["a.json"] },
    });
    expect(await dispatch("openDesign", { name: "a" })).toEqual({
      result: { design: { format: "tabula/1" } },
    });
  });

  it("probes the sandbox's pretend machine in sandbox mode", async () => {
    const facts = await backend
      .handlersFor({
        transport: "electron",
        controlling: () => true,
      })
      .probe({});
    expect(facts).toMatchObject({
      machine: "sandbox",
      os: { kind: "nixos-livecd" },
    });
    expect(backend.sandbox?.scenario).toBe("livecd");
  });

  it("probes the real machine in real mode", async () => {
    const real = createBackend({
      version: "1",
      machine: "real",
      files: await openWorkspace(dir),
      stateDir: path.join(dir, "state"),
    });
    const reply = await createDispatch(
      real.handlersFor({ transport: "electron", controlling: () => true }),
    )("probe", {});
    expect(reply).toMatchObject({
      result: { machine: "real", memoryBytes: expect.any(Number) },
    });
  });

  it("validates designs with the shared validator", async () => {
    const handlers = backend.handlersFor({
      transport: "electron",
      controlling: () => true,
    });
    const example = JSON.parse(
      readFileSync("docs/examples/convert.json", "utf8"),
    ) as unknown;
    expect(await handlers.validate({ design: example })).toEqual({
      problems: [],
    });
    const { problems } = await handlers.validate({
      design: { ...(example as object), hostname: "" },
    });
    expect(problems).toContainEqual(
      expect.objectContaining({ path: "hostname", severity: "error" }),
    );
  });

  it("previews a plan with every file, or none for a broken design", async () => {
    const handlers = backend.handlersFor({
      transport: "electron",
      controlling: () => true,
    });
    const example = JSON.parse(
      readFileSync("docs/examples/convert.json", "utf8"),
    ) as unknown;
    const preview = await handlers.plan({ design: example });
    expect(preview.plan?.phases.map((p) => p.name)).toEqual([
      "prepare",
      "migrate",
      "bootloader",
      "revert",
    ]);
    expect(preview.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "nixos/persistence.nix",
        "flake-changes.md",
        "design.json",
        "plan.json",
        "steps.sh",
        "migration.json",
      ]),
    );
    // The flake read is the one inside the sandbox's pretend root, not this machine's.
    const patch = preview.files.find((f) => f.path === "flake.patch");
    expect(patch?.content).toMatch(/impermanence/);
    const broken = await handlers.plan({ design: { format: "tabula/1" } });
    expect(broken.plan).toBeNull();
    expect(broken.files).toEqual([]);
    expect(broken.problems.length).toBeGreaterThan(0);
  });

  it("writes a plan folder only for a design that has a plan", async () => {
    const handlers = backend.handlersFor({
      transport: "electron",
      controlling: () => true,
    });
    await expect(
      handlers.writePlan({ name: "broken", design: { format: "tabula/1" } }),
    ).rejects.toThrow(
      /^The design has \d+ errors, so it has no plan yet; fix them first \(mode: /,
    );
    const example = JSON.parse(
      readFileSync("docs/examples/install.json", "utf8"),
    ) as unknown;
    const written = await handlers.writePlan({
      name: "laptop",
      design: example,
    });
    expect(written.dir).toBe(path.join(dir, "laptop.plan"));
    expect(written.files).toContain("steps.sh");
  });

  it("refuses a phase the design's plan does not have", async () => {
    const handlers = backend.handlersFor({
      transport: "electron",
      controlling: () => true,
    });
    const example = JSON.parse(
      readFileSync("docs/examples/install.json", "utf8"),
    ) as unknown;
    await expect(
      handlers.runPhase({
        design: example,
        phase: "recover",
        dryRun: true,
        cols: 80,
        rows: 24,
      }),
    ).rejects.toThrow(
      'A install plan has no phase "recover"; its phases are install.',
    );
  });

  it("scans a given root, keeping what a design persists", async () => {
    const handlers = backend.handlersFor({
      transport: "electron",
      controlling: () => true,
    });
    // Without a root, the sandbox's pretend root partition is the live system.
    const pretend = await handlers.scan({});
    expect(pretend.root).toBe(backend.sandbox?.scanRoot);
    expect(backend.sandbox?.scanRoot).toBe(backend.sandbox?.rootPartition);
    expect(pretend.entries.map((e) => e.path)).toContain("/var/lib/docker");
    const root = mkdtempSync(path.join(tmpdir(), "api-scan-"));
    try {
      mkdirSync(path.join(root, "var", "lib", "docker"), { recursive: true });
      writeFileSync(path.join(root, "var", "lib", "docker", "x"), "x");
      mkdirSync(path.join(root, "srv"));
      writeFileSync(path.join(root, "srv", "y"), "y");
      const all = await handlers.scan({ root });
      expect(all.entries.map((e) => e.path).sort()).toEqual([
        "/srv/y",
        "/var/lib/docker",
      ]);
      const example = JSON.parse(
        readFileSync("docs/examples/install.json", "utf8"),
      ) as { persistence: { directories: unknown[] } };
      example.persistence.directories.push("/srv");
      const kept = await handlers.scan({ root, design: example });
      expect(kept.entries.map((e) => e.path)).toEqual(["/var/lib/docker"]);
      // A draft with errors elsewhere still says what it keeps.
      const draft = await handlers.scan({
        root,
        design: {
          format: "tabula/1",
          hostname: "",
          persistence: { directories: ["/var/lib/docker"] },
        },
      });
      expect(draft.entries.map((e) => e.path)).toEqual(["/srv/y"]);
      await expect(
        handlers.scan({ root: path.join(root, "none") }),
      ).rejects.toThrow(/is not a folder/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("forwards events to subscribers until they leave", () => {
    const seen: unknown[] = [];
    const off = backend.events.subscribe((event, payload) =>
      seen.push([event, payload]),
    );
    backend.events.emit("terminal.data", { terminalId: "t", data: "a" });
    off();
    backend.events.emit("terminal.data", { terminalId: "t", data: "b" });
    expect(seen).toEqual([["terminal.data", { terminalId: "t", data: "a" }]]);
  });
});

describe("backend options", () => {
  it("takes --sandbox, --real and --workspace, refusing contradictions", () => {
    expect(
      takeBackendOptions(["--real", "--port", "1", "--workspace", "/w"]),
    ).toEqual({
      choice: { machine: "real", scenario: null, workspace: "/w" },
      rest: ["--port", "1"],
    });
    expect(takeBackendOptions(["--workspace=/x"]).choice.workspace).toBe("/x");
    expect(() => takeBackendOptions(["--sandbox", "--real"])).toThrow(
      /contradict each other/,
    );
    expect(() => takeBackendOptions(["--workspace"])).toThrow(
      /--workspace needs a folder/,
    );
    expect(
      takeBackendOptions(["--scenario", "stateless", "--sandbox"]).choice,
    ).toMatchObject({ machine: "sandbox", scenario: "stateless" });
    expect(() => takeBackendOptions(["--scenario", "cloud"])).toThrow(
      '--scenario must be one of livecd, installed, stateless, livecd-converted, not "cloud".',
    );
    expect(() =>
      takeBackendOptions(["--scenario=installed", "--real"]),
    ).toThrow(/cannot go with --real/);
  });
});
