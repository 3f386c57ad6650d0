import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normalizeDesign } from "../../../../shared/design/normalize";
import { validateDesign } from "../../../../shared/design/validate";
import type { Design } from "../../../../shared/design/types";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;
const load = (mode: string) =>
  JSON.parse(readFileSync(`docs/examples/${mode}.json`, "utf8")) as Doc;

describe("normalizeDesign", () => {
  it.each(["install", "convert", "recover"])(
    "is idempotent on the %s example",
    (mode) => {
      const once = validateDesign(load(mode)).design!;
      expect(JSON.stringify(normalizeDesign(once))).toBe(JSON.stringify(once));
    },
  );

  it("gives the same document whatever the order of lists, users and keys", () => {
    const a = load("install");
    const b = load("install");
    b.persistence.directories.reverse();
    b.persistence.files.reverse();
    b.persistence.users.mira.directories.reverse();
    b.users = {
      mira: Object.fromEntries(Object.entries(b.users.mira).reverse()),
    };
    b.disk = Object.fromEntries(Object.entries(b.disk).reverse());
    expect(JSON.stringify(validateDesign(b).design)).toBe(
      JSON.stringify(validateDesign(a).design),
    );
  });

  it("sorts persisted paths by code unit so parents come first", () => {
    const d = load("convert");
    d.persistence.directories = [
      "/var/lib/x",
      "/var-x",
      "/etc/nixos",
      "/var",
      "/var/cache/nix",
      "/var/lib/nixos",
    ];
    const n = validateDesign(d).design as Design;
    expect(n.persistence.directories).toEqual([
      "/etc/nixos",
      "/var",
      "/var-x",
      "/var/cache/nix",
      "/var/lib/nixos",
      "/var/lib/x",
    ]);
  });

  it("writes an entry that only names its path as the plain path, and drops method auto", () => {
    const d = load("convert");
    d.persistence.directories.push({ directory: "/srv" });
    d.persistence.files.push({
      file: "/etc/adjtime",
      method: "auto",
      parentDirectory: {},
    });
    d.persistence.files.push({ file: "/etc/x", method: "symlink" });
    const n = validateDesign(d).design as Design;
    expect(n.persistence.directories).toContain("/srv");
    expect(n.persistence.files).toContain("/etc/adjtime");
    expect(n.persistence.files).toContainEqual({
      file: "/etc/x",
      method: "symlink",
    });
  });
});
