import { describe, expect, it } from "vitest";
import {
  baseEntries,
  presets,
  reasonFor,
} from "../../../../renderer/src/model/presets";

describe("presets from the catalog", () => {
  it("offers every preset with the paths of what it includes", () => {
    const all = presets();
    expect(all.map((p) => p.id)).toEqual([
      "server",
      "desktop",
      "laptop",
      "developer",
    ]);
    const desktop = all.find((p) => p.id === "desktop")!;
    expect(desktop.includes).toEqual(["Minimal server"]);
    const paths = desktop.entries.map((e) => e.path);
    expect(paths).toContain("/var/lib/nixos"); // from the server preset
    expect(desktop.entries.some((e) => e.scope === "user")).toBe(true);
    for (const e of desktop.entries)
      expect(e.reason.length).toBeGreaterThan(10);
  });

  it("starts a design from the minimal server preset", () => {
    const base = baseEntries();
    expect(base.directories).toContain("/var/lib/nixos");
    expect(base.files).toContain("/etc/machine-id");
  });

  it("knows the reason and source of a path, in its scope", () => {
    const r = reasonFor("/var/lib/nixos", "system")!;
    expect(r.reason).toMatch(/ids/);
    expect(r.source).toMatch(/impermanence/);
    expect(reasonFor("/var/lib/nixos", "user")).toBeNull();
    expect(reasonFor(".ssh", "user")?.perms?.mode).toBeDefined();
  });
});
