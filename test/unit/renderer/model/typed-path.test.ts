import { describe, expect, it } from "vitest";
import { validateDesign } from "../../../../shared/design/validate";
import { typedPath } from "../../../../renderer/src/model/typed-path";
import { installDesign } from "../support";

describe("typedPath: a path typed to keep, checked before it is added", () => {
  it("suggests the absolute path for a relative system path, once", () => {
    expect(typedPath("var/lib/foo", "directory", null)).toEqual({
      error: "Path: a system path starts with /, e.g. /var/lib/foo.",
    });
    expect(typedPath("./srv", "directory", null)).toEqual({
      error: "Path: a system path starts with /, e.g. /srv.",
    });
  });

  it("drops a folder's trailing slash, and refuses what validation would refuse", () => {
    expect(typedPath(" /var/lib/foo/ ", "directory", null)).toEqual({
      path: "/var/lib/foo",
    });
    expect(typedPath(".ssh/", "directory", "mira")).toEqual({ path: ".ssh" });
    expect(typedPath("", "file", null)).toEqual({
      error: "Path: type the path to keep.",
    });
    const refused: [string, "directory" | "file", string | null, string][] = [
      ["/var/../etc/shadow", "directory", null, '".."'],
      ["/var//log", "directory", null, '"//"'],
      ["/etc/hosts/", "file", null, "ends with a slash"],
      ["/", "directory", null, "whole root"],
      ["~/.ssh", "directory", "mira", 'write ".ssh"'],
      ["../bob/.ssh", "directory", "mira", "leaves mira's home"],
      ["..", "directory", "mira", "leaves mira's home"],
      ["/home/mira/.ssh", "directory", "mira", "e.g. .ssh."],
      ["/srv/data", "directory", "mira", "is not in mira's home"],
    ];
    for (const [text, kind, user, says] of refused) {
      const r = typedPath(text, kind, user);
      expect("error" in r, text).toBe(true);
      if ("error" in r) {
        expect(r.error, text).toMatch(/^Path: .*\.$/);
        expect(r.error, text).toContain(says);
      }
    }
  });

  it("every path it accepts is one the design's validation accepts too", () => {
    const typed = [
      ["/srv/my data", "directory", null],
      ["/var/lib/foo/", "directory", null],
      ["/etc/adjtime", "file", null],
      [".config/Code/", "directory", "mira"],
      [".bash_history", "file", "mira"],
    ] as const;
    const d = installDesign();
    d.persistence.users.mira = { directories: [], files: [] };
    for (const [text, kind, user] of typed) {
      const r = typedPath(text, kind, user);
      if (!("path" in r)) throw new Error(`${text} refused: ${r.error}`);
      const list = user === null ? d.persistence : d.persistence.users[user]!;
      if (kind === "directory") list.directories.push(r.path);
      else list.files.push(r.path);
    }
    const errors = validateDesign(d).problems.filter(
      (p) => p.severity === "error",
    );
    expect(errors).toEqual([]);
  });
});
