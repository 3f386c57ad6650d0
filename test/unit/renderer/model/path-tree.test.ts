import { describe, expect, it } from "vitest";
import { treeRows } from "../../../../renderer/src/model/path-tree";

const items = (paths: string[]) => paths.map((path, i) => ({ path, data: i }));

describe("persistence tree", () => {
  it("nests system paths and merges folders that only group one child", () => {
    const rows = treeRows(
      items([
        "/var/log",
        "/var/lib/nixos",
        "/var/lib/systemd/timers",
        "/etc/machine-id",
        "/var/lib",
      ]),
    );
    expect(rows.map((r) => [r.depth, r.name, r.item?.data ?? null])).toEqual([
      [0, "etc/machine-id", 3],
      [0, "var", null],
      [1, "lib", 4],
      [2, "nixos", 1],
      [2, "systemd/timers", 2],
      [1, "log", 0],
    ]);
    expect(rows[4]!.path).toBe("/var/lib/systemd/timers");
  });

  it("keeps home-relative paths relative and shows the same path twice as a duplicate", () => {
    const rows = treeRows(items([".ssh", "Documents", ".ssh"]));
    expect(rows.map((r) => r.path)).toEqual([".ssh", "Documents"]);
    expect(rows[0]!.duplicates.map((d) => d.data)).toEqual([2]);
  });
});
