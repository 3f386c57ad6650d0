import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { keptPaths } from "../../../../electron/backend/kept-paths";

describe("kept paths for the scanner", () => {
  it("reads a valid design exactly: storage, system and user paths", () => {
    const design = JSON.parse(
      readFileSync("docs/examples/install.json", "utf8"),
    ) as { persistence: { storage: string } };
    const kept = keptPaths(design);
    expect(kept[0]).toBe(design.persistence.storage);
    expect(kept).toContain("/var/lib/nixos");
  });

  it("reads a draft's well-formed entries and leaves the rest out", () => {
    expect(
      keptPaths({
        format: "tabula/1",
        hostname: "", // an error elsewhere
        users: { mira: { home: "/srv/mira" } },
        persistence: {
          storage: "/nix/persistent",
          directories: [
            "/var/lib/docker/",
            { directory: "/var/lib/postgresql", user: "postgres" },
            "relative/path",
            "/var/../etc",
            42,
          ],
          files: ["/etc/machine-id", { file: "/etc/ssh/ssh_host_ed25519_key" }],
          users: {
            mira: {
              directories: ["Documents", "../escape"],
              files: [".bashrc"],
            },
            root: { directories: [".ssh"] },
            broken: "not an object",
          },
        },
      }),
    ).toEqual([
      "/nix/persistent",
      "/var/lib/docker",
      "/var/lib/postgresql",
      "/etc/machine-id",
      "/etc/ssh/ssh_host_ed25519_key",
      "/srv/mira/Documents",
      "/srv/mira/.bashrc",
      "/root/.ssh",
    ]);
  });

  it("keeps nothing for something that is not a design", () => {
    expect(keptPaths(null)).toEqual([]);
    expect(keptPaths({ persistence: "all" })).toEqual([]);
    expect(keptPaths([1, 2])).toEqual([]);
  });
});
