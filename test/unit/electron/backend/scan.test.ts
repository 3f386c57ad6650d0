// The scanner on synthetic live roots built in temp folders: hostile names,
// links into a store, regenerated /etc files, nested persisted paths,
// collapsing, scratch, hard links, unreadable folders.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ScanError,
  scanRoot,
  scanRootAsync,
} from "../../../../electron/backend/scan";
import { isManagedLink } from "../../../../electron/backend/scan-rules";
import { suggestFor } from "../../../../electron/backend/scan-suggestions";
import type { ScanEntry } from "../../../../shared/scan/types";
import { describeWith } from "../../../support/needs";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A live root: "path" -> content (string), or { link } for a symlink, or null for an empty folder. */
function tree(spec: Record<string, string | { link: string } | null>): string {
  const root = mkdtempSync(join(tmpdir(), "machine-scan-"));
  roots.push(root);
  for (const [path, what] of Object.entries(spec)) {
    const full = join(root, path);
    if (what === null) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof what === "string") writeFileSync(full, what);
    else symlinkSync(what.link, full);
  }
  return root;
}

const paths = (entries: ScanEntry[]) => entries.map((e) => e.path);
const entry = (entries: ScanEntry[], path: string) =>
  entries.find((e) => e.path === path);

describe("scan", () => {
  it("folds a folder with nothing kept inside into one entry with totals", () => {
    const root = tree({
      "var/lib/docker/volumes/pg/_data/PG_VERSION": "16\n",
      "var/lib/docker/overlay2/l/a": "x".repeat(1000),
      "var/lib/docker/overlay2/l/b": "y".repeat(24),
    });
    const newest = new Date("2025-06-01T12:00:00Z");
    utimesSync(join(root, "var/lib/docker/overlay2/l/b"), newest, newest);
    for (const d of [
      "var/lib/docker/overlay2/l",
      "var/lib/docker/overlay2",
      "var/lib/docker/volumes/pg/_data",
      "var/lib/docker/volumes/pg",
      "var/lib/docker/volumes",
      "var/lib/docker",
    ]) {
      utimesSync(join(root, d), new Date(0), new Date(0));
    }
    const result = scanRoot({ root });
    expect(result.entries).toEqual([
      {
        path: "/var/lib/docker",
        kind: "dir",
        bytes: 1027,
        files: 3,
        newest: expect.any(String),
        suggestion: {
          reason: expect.stringMatching(/docker/i),
          preset: expect.any(String),
        },
      },
    ]);
    // the newest file, since the folders were set to 1970
    expect(result.entries[0]!.newest >= newest.toISOString()).toBe(true);
    expect(result.root).toBe(root);
    expect(result.errors).toEqual([]);
  });

  it("opens the folders that hold unrelated things (/, /etc, /var/lib, /home, ...) one level", () => {
    const root = tree({
      "var/lib/docker/x": "1",
      "var/lib/postgresql/16/y": "2",
      "home/alice/notes.md": "3",
      "home/bob/todo.txt": "4",
      "opt/thing/bin/run": "5",
    });
    expect(paths(scanRoot({ root }).entries)).toEqual([
      "/home/alice",
      "/home/bob",
      "/opt/thing",
      "/var/lib/docker",
      "/var/lib/postgresql",
    ]);
  });

  it("leaves out links into the store or /etc/static, and lists other links", () => {
    const root = tree({
      "etc/static": { link: "/nix/store/abc-etc/etc" },
      "etc/hostname": { link: "/etc/static/hostname" },
      "etc/ssh/ssh_config": { link: "/etc/static/ssh/ssh_config" },
      "etc/direct": { link: "/nix/store/def-file" },
      "etc/relative": { link: "static/relative" },
      "etc/localtime": { link: "/usr/share/zoneinfo/Europe/Paris" },
      "etc/ssh/ssh_host_ed25519_key": "secret",
      "bin/sh": { link: "/nix/store/ghi-bash/bin/sh" },
      "usr/bin/env": { link: "/nix/store/jkl-coreutils/bin/env" },
    });
    const result = scanRoot({ root });
    expect(paths(result.entries)).toEqual([
      "/etc/localtime",
      "/etc/ssh/ssh_host_ed25519_key",
    ]);
    expect(entry(result.entries, "/etc/localtime")).toMatchObject({
      kind: "symlink",
      files: 1,
      bytes: "/usr/share/zoneinfo/Europe/Paris".length,
    });
  });

  it("resolves relative link targets against the link's folder", () => {
    expect(isManagedLink("/etc/x", "static/x")).toBe(true);
    expect(isManagedLink("/etc/ssh/x", "../static/ssh/x")).toBe(true);
    expect(
      isManagedLink("/home/a/.config/git", "../../../nix/store/h-git/config"),
    ).toBe(true);
    expect(isManagedLink("/etc/x", "../etc/staticky/x")).toBe(false);
    expect(isManagedLink("/etc/x", "/nix/storehouse/x")).toBe(false);
  });

  it("leaves out the files NixOS regenerates and those /etc/.clean lists", () => {
    const root = tree({
      "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
      "etc/group": "root:x:0:\n",
      "etc/shadow": "root:!:1::::::\n",
      "etc/subuid": "",
      "etc/subgid": "",
      "etc/sudoers": "root ALL=(ALL) ALL\n",
      "etc/.clean": "sudoers\nmtab\nnginx/nginx.conf\n",
      "etc/NIXOS": "",
      "etc/mtab": { link: "/proc/mounts" },
      "etc/resolv.conf": "nameserver 1.1.1.1\n",
      "etc/.pwd.lock": "",
      "etc/nginx/nginx.conf": "events {}\n",
      "etc/nginx/htpasswd": "alice:$apr1$...\n",
      "etc/machine-id": "0123\n",
      "var/empty": null,
      "var/.updated": "",
    });
    expect(paths(scanRoot({ root }).entries)).toEqual([
      "/etc/machine-id",
      "/etc/nginx/htpasswd",
    ]);
  });

  it("leaves out persisted paths, and opens the folders that hold one", () => {
    const root = tree({
      "var/lib/nixos/uid-map": "{}",
      "var/lib/systemd/timers/stamp-a": "",
      "var/lib/systemd/random-seed": "seed",
      "var/lib/systemd/linger/alice": "",
      "home/alice/.ssh/id_ed25519": "key",
      "home/alice/.ssh/known_hosts": "hosts",
      "home/alice/Documents/a.txt": "a",
      "home/alice/.cache/x/y": "cache",
      "etc/machine-id": "0123\n",
      "etc/ssh/ssh_host_ed25519_key": "k",
      "nix/persistent/etc/machine-id": "kept",
    });
    const result = scanRoot({
      root,
      persisted: [
        "/nix/persistent",
        "/var/lib/nixos",
        "/var/lib/systemd/timers",
        "/home/alice/.ssh",
        "/etc/machine-id",
      ],
    });
    expect(paths(result.entries)).toEqual([
      "/etc/ssh", // nothing kept inside: one entry
      "/home/alice/.cache",
      "/home/alice/Documents",
      "/var/lib/systemd/linger",
      "/var/lib/systemd/random-seed",
    ]);
  });

  it("never goes into /nix, /proc, /sys, /dev or /run, but does elsewhere", () => {
    const root = tree({
      "nix/store/abc-hello/bin/hello": "#!",
      "nix/var/nix/db/db.sqlite": "db",
      "proc/1/status": "x",
      "sys/kernel/x": "x",
      "dev/sda": "x",
      "run/user/1000/x": "x",
      "srv/nix/store/not-the-store": "data",
      "srv/run/x": "data",
    });
    expect(paths(scanRoot({ root }).entries)).toEqual(["/srv/nix", "/srv/run"]);
  });

  it("lists /tmp apart, as scratch", () => {
    const root = tree({
      "tmp/nix-build-1/env-vars": "x",
      "tmp/.X11-unix/X0": "",
      "tmp/lonely.txt": "hi",
      "home/alice/a": "a",
    });
    const result = scanRoot({ root });
    expect(paths(result.entries)).toEqual(["/home/alice"]);
    expect(paths(result.scratch)).toEqual([
      "/tmp/.X11-unix",
      "/tmp/lonely.txt",
      "/tmp/nix-build-1",
    ]);
  });

  it("reports hostile names exactly, newlines included", () => {
    const names = [
      "line\nbreak",
      "-rf --no-preserve-root",
      "$(echo pwned)",
      'quote\'s "double"',
      "ünïcødé ✓ 文件",
      "trailing space ",
      "back\\slash",
    ];
    const spec: Record<string, string> = {};
    for (const n of names) spec[`srv/${n}`] = n;
    const root = tree(spec);
    const result = scanRoot({ root });
    expect(paths(result.entries).sort()).toEqual(
      names.map((n) => `/srv/${n}`).sort(),
    );
    const again = JSON.parse(JSON.stringify(result)) as typeof result;
    expect(paths(again.entries)).toContain("/srv/line\nbreak");
  });

  it("counts and lists names that are not UTF-8, and says to rename them", () => {
    const root = tree({ "srv/app/small": "hi" });
    const app = Buffer.from(join(root, "srv/app"));
    const bad = Buffer.concat([app, Buffer.from("/d\xe9j\xe0", "latin1")]);
    mkdirSync(bad);
    writeFileSync(Buffer.concat([bad, Buffer.from("/big")]), "x".repeat(5000));
    writeFileSync(Buffer.concat([app, Buffer.from("/f\xff", "latin1")]), "y");
    const result = scanRoot({ root });
    expect(
      result.entries.map((e) => [e.path, e.kind, e.bytes, e.files]).sort(),
    ).toEqual(
      [
        ["/srv/app/d\uFFFDj\uFFFD", "dir", 5000, 1],
        ["/srv/app/f\uFFFD", "file", 1, 1],
        ["/srv/app/small", "file", 2, 1],
      ].sort(),
    );
    expect(result.errors.map((e) => e.path).sort()).toEqual(
      ["/srv/app/d\uFFFDj\uFFFD", "/srv/app/f\uFFFD"].sort(),
    );
    for (const e of result.errors)
      expect(e.message).toMatch(/not valid UTF-8.*rename it/);
  });

  it("counts hard links once", () => {
    const root = tree({
      "srv/data/report.pdf": "x".repeat(4000),
      "srv/other/readme": "r",
    });
    linkSync(
      join(root, "srv/data/report.pdf"),
      join(root, "srv/data/copy.pdf"),
    );
    linkSync(
      join(root, "srv/data/report.pdf"),
      join(root, "srv/other/third.pdf"),
    );
    const result = scanRoot({ root });
    const data = entry(result.entries, "/srv/data")!;
    const other = entry(result.entries, "/srv/other")!;
    expect(data.bytes + other.bytes).toBe(4001);
    expect(data.files + other.files).toBe(2);
  });

  it("leaves out empty folders: they hold no data", () => {
    const root = tree({
      "srv/empty/deeper": null,
      "opt/also-empty": null,
      "srv/full/x": "x",
    });
    expect(paths(scanRoot({ root }).entries)).toEqual(["/srv/full"]);
  });

  it("does not go into other mounts (given as mount points)", () => {
    const root = tree({
      "srv/mounted/x": "x",
      "srv/here/y": "y",
      "etc/bound-file": "z",
    });
    const result = scanRoot({
      root,
      mountPoints: new Set([
        join(root, "srv/mounted"),
        join(root, "etc/bound-file"),
        "/elsewhere",
      ]),
    });
    expect(paths(result.entries)).toEqual(["/srv/here"]);
  });

  it("gives the same result in time slices as in one go", async () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) spec[`srv/d${i % 7}/f${i}`] = String(i);
    spec["etc/hostname"] = "x";
    const root = tree(spec);
    const whole = scanRoot({ root });
    const sliced = await scanRootAsync({ root }, 0);
    expect(sliced).toEqual(whole);
    expect(whole.entries).toHaveLength(8);
  });

  it("refuses a root that is not a folder, in one sentence", () => {
    const root = tree({ "file.txt": "x" });
    expect(() => scanRoot({ root: join(root, "file.txt") })).toThrow(ScanError);
    expect(() => scanRoot({ root: join(root, "missing") })).toThrow(
      /missing is not a folder: give the root of the system to scan with --root, e\.g\. --root \/\./,
    );
  });

  it("suggests from the catalog, and names what a folded folder holds", () => {
    expect(suggestFor("/var/lib/docker")).toEqual({
      reason: expect.stringMatching(/docker/i),
      preset: expect.any(String),
    });
    expect(suggestFor("/etc/NetworkManager")?.reason).toMatch(
      /^Holds \/etc\/NetworkManager\/system-connections: /,
    );
    expect(suggestFor("/root")?.reason).toMatch(/^Holds \/root\/\.ssh: /);
    expect(suggestFor("/home/alice")?.reason).toMatch(/^Holds \/home\/alice\//);
    expect(suggestFor("/srv/www")).toBeNull();
  });
});

// Root reads everything, so an unreadable folder needs an unprivileged scan:
// setpriv drops to nobody, which only root can do.
describeWith(["root"], "scan as an unprivileged user", () => {
  it("reports unreadable folders and goes on (run as an unprivileged user)", () => {
    const root = tree({
      "srv/secret/f": "x",
      "srv/open/g": "y",
      "srv/outer/inner/h": "z",
      "home/alice/private/h": "z",
    });
    chmodSync(join(root, "srv/secret"), 0o700);
    chmodSync(join(root, "srv/outer/inner"), 0o700);
    chmodSync(join(root, "home/alice"), 0o700);
    chmodSync(root, 0o755);
    const out = execFileSync(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "node",
        "electron/bin/tabula.mjs",
        "scan",
        "--root",
        root,
        "--json",
      ],
      { encoding: "utf8" },
    );
    const result = JSON.parse(out) as ReturnType<typeof scanRoot>;
    const denied = "permission denied (run the scan as root to see inside)";
    expect(result.errors).toEqual([
      { path: "/home/alice", message: denied },
      { path: "/srv/outer/inner", message: denied },
      { path: "/srv/secret", message: denied },
    ]);
    // Still listed (a folder holding only an unreadable one too), with what
    // could not be counted left at zero.
    expect(paths(result.entries)).toEqual([
      "/home/alice",
      "/srv/open",
      "/srv/outer",
      "/srv/secret",
    ]);
  });
});
