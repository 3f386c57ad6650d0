// Phase recover. From the LiveCD ("old-root"): paths come back out of the
// quarantine a conversion left, by rename, inode unchanged, up to the rebuild
// through nixos-enter (absent here). On the running system ("live"): the copy
// helper keeps owners, modes, ACLs, xattrs and hardlinks and resumes over its
// own unfinished copy; the phase itself refuses a root that is not a tmpfs.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  linkSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { STEPS_LIB } from "../../../shared/plan/steps-lib";
import { recoverDesign } from "../../support/designs";
import { describeWith } from "../../support/needs";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import { runSteps, writePlan } from "../../support/steps";
import { diffManifests, manifest, walkTree } from "../../support/tree";

const tmpRoot = join(import.meta.dirname, "../../.tmp");

describeWith(
  ["root", "nix", "bash"],
  "phase recover from the quarantine",
  () => {
    let work: string;
    let layout: string;
    let nix: string;

    beforeAll(() => {
      mkdirSync(tmpRoot, { recursive: true });
      work = mkdtempSync(join(tmpRoot, "steps-recover-"));
      // A converted partition: the synthetic old root after phase migrate.
      const convert = writePlan(oldRootDesign(), join(work, "convert-plan"));
      const root = buildOldRoot(work, {
        migrationJson: convert.files["migration.json"],
      }).dir;
      const migrated = runSteps(convert.script, [
        "migrate",
        "--yes",
        "--target",
        root,
      ]);
      expect(migrated.status, migrated.stderr).toBe(0);
      layout = join(work, "layout");
      mkdirSync(layout);
      nix = join(layout, "nix");
      renameSync(root, nix);
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    function design(): Design {
      const base = recoverDesign("old-root");
      return {
        ...base,
        persistence: oldRootDesign().persistence,
        recover: {
          ...base.recover!,
          add: {
            directories: ["/var/lib/docker"],
            files: [],
            users: { mira: { directories: ["Downloads"], files: [] } },
          },
        },
      };
    }

    it("moves the chosen paths into storage by rename and stops at the rebuild", () => {
      const before = walkTree(nix);
      const plan = writePlan(design(), join(work, "plan"));
      const r = runSteps(plan.script, ["recover", "--yes", "--target", layout]);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toMatch(
        /Step \d+ "Rebuild inside the installed system \(nixos-enter, nixos-rebuild boot\)" needs nixos-enter/,
      );
      const after = walkTree(nix);
      for (const [from, to] of [
        ["old-root/var/lib/docker", "persistent/var/lib/docker"],
        [
          "old-root/var/lib/docker/engine-id",
          "persistent/var/lib/docker/engine-id",
        ],
        ["old-root/home/mira/Downloads", "persistent/home/mira/Downloads"],
        [
          "old-root/home/mira/Downloads/big.iso",
          "persistent/home/mira/Downloads/big.iso",
        ],
      ]) {
        expect(after.has(from!), from).toBe(false);
        expect(after.get(to!)?.ino, to).toBe(before.get(from!)!.ino);
        expect(after.get(to!)?.mode, to).toBe(before.get(from!)!.mode);
      }
      // The hardlink across persisted and recovered data is still one file.
      expect(
        after.get("persistent/home/mira/Downloads/report-link.txt")!.ino,
      ).toBe(after.get("persistent/home/mira/Documents/report.txt")!.ino);
      expect(
        after.get("persistent/home/mira/Downloads/big.iso")!.xattrs,
      ).toEqual(before.get("old-root/home/mira/Downloads/big.iso")!.xattrs);
      // The persistence config in the persisted configuration folder.
      expect(
        readFileSync(
          join(nix, "persistent/etc/nixos/nixos/persistence.nix"),
          "utf8",
        ),
      ).toBe(plan.files["nixos/persistence.nix"]);
      expect(plan.files["nixos/persistence.nix"]).toContain(
        '"/var/lib/docker"',
      );
    });

    it("run again, finds them in storage and changes nothing", () => {
      const before = manifest(
        walkTree(nix, (rel) => rel === ".tabula/journal"),
      );
      const plan = writePlan(design(), join(work, "plan"));
      const r = runSteps(plan.script, ["recover", "--yes", "--target", layout]);
      expect(r.status).toBe(3);
      expect(r.stdout).toContain("/var/lib/docker is already in persistent/.");
      expect(r.stdout).toContain("is up to date.");
      expect(
        diffManifests(
          manifest(walkTree(nix, (rel) => rel === ".tabula/journal")),
          before,
        ),
      ).toEqual([]);
    });

    it("refuses storage, quarantine or configuration folders that are symbolic links (they would lead off the partition)", () => {
      const plan = writePlan(design(), join(work, "plan-links"));
      const swap = (rel: string, link: string, run: () => void) => {
        const real = join(nix, `${rel}.real`);
        renameSync(join(nix, rel), real);
        symlinkSync(link, join(nix, rel));
        try {
          run();
        } finally {
          rmSync(join(nix, rel));
          renameSync(real, join(nix, rel));
        }
      };
      const refusedWith = (message: RegExp) => {
        const before = manifest(walkTree(nix));
        const r = runSteps(plan.script, [
          "recover",
          "--yes",
          "--target",
          layout,
        ]);
        expect(r.status, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stdout).not.toMatch(/\+ mv /);
        expect(diffManifests(manifest(walkTree(nix)), before)).toEqual([]);
      };
      swap("persistent", "persistent.real", () =>
        refusedWith(
          /nix\/persistent is a symbolic link \(to persistent\.real\)/,
        ),
      );
      swap("old-root", "/tmp", () =>
        refusedWith(/nix\/old-root is a symbolic link \(to \/tmp\)/),
      );
      // /etc/nixos kept as a link to a flake in a home: from the LiveCD it
      // points into the LiveCD's own files.
      swap("persistent/etc/nixos", "/home/mira/flake", () =>
        refusedWith(
          /persistent\/etc\/nixos is a symbolic link \(to \/home\/mira\/flake\)/,
        ),
      );
    });

    it("stops, moving nothing, when a path is both in the quarantine and in storage", () => {
      mkdirSync(join(nix, "old-root/srv/public/again"), { recursive: true });
      mkdirSync(join(nix, "persistent/srv/public"), { recursive: true });
      const d = design();
      d.recover!.add = { directories: ["/srv/public"], files: [], users: {} };
      const plan = writePlan(d, join(work, "plan-conflict"));
      const r = runSteps(plan.script, ["recover", "--yes", "--target", layout]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /both .*old-root\/srv\/public and .*persistent\/srv\/public exist\. Tabula moves, never merges/,
      );
    });
  },
);

describeWith(["root", "bash"], "recover on the running system", () => {
  let work: string;

  beforeAll(() => {
    mkdirSync(tmpRoot, { recursive: true });
    work = mkdtempSync(join(tmpRoot, "steps-live-"));
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs one library helper the way steps.sh does. */
  function helper(...args: string[]) {
    return helperWith({}, ...args);
  }

  function helperWith(
    options: { env?: NodeJS.ProcessEnv; input?: string; yes?: boolean },
    ...args: string[]
  ) {
    const lib = join(work, "lib.sh");
    writeFileSync(lib, STEPS_LIB);
    return spawnSync(
      "bash",
      [
        "-c",
        `set -euo pipefail; source "$1"; shift; TABULA_PHASE=recover; TABULA_YES=${options.yes === false ? 0 : 1}; "$@"`,
        "bash",
        lib,
        ...args,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, ...options.env },
        input: options.input ?? "",
      },
    );
  }

  it("copies with owners, modes, ACLs, xattrs and hardlinks, through a partial copy renamed into place", () => {
    const src = join(work, "live/var/lib/app");
    mkdirSync(join(src, "data"), { recursive: true });
    lchownSync(join(work, "live/var/lib"), 7, 7);
    chmodSync(join(work, "live/var/lib"), 0o750);
    // A parent with ACLs (a default one: what new files inside inherit) and
    // an extended attribute, which storage's parent must get too.
    execFileSync("setfacl", [
      "-m",
      "u:1002:rwx,d:u:1002:r-x",
      join(work, "live/var/lib"),
    ]);
    execFileSync("setfattr", [
      "-n",
      "user.origin",
      "-v",
      "live",
      join(work, "live/var/lib"),
    ]);
    writeFileSync(join(src, "data/a"), "alpha\n");
    linkSync(join(src, "data/a"), join(src, "a-link"));
    lchownSync(join(src, "data/a"), 1000, 100);
    chmodSync(join(src, "data/a"), 0o640);
    execFileSync("setfattr", [
      "-n",
      "user.kind",
      "-v",
      "state",
      join(src, "data/a"),
    ]);
    execFileSync("setfacl", ["-m", "u:1001:rwx", join(src, "data")]);
    execFileSync("mkfifo", [join(src, "fifo")]);
    const storage = join(work, "storage");
    mkdirSync(storage);
    const rel = src.slice(1);
    // An unfinished copy of an interrupted run, with junk the source lacks.
    const partialParent = join(storage, rel, "..");
    mkdirSync(join(partialParent, ".tabula-partial-app"), { recursive: true });
    writeFileSync(join(partialParent, ".tabula-partial-app/junk"), "old\n");

    const r = helper("tabula_copy_live", storage, rel);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\+ rm -rf --one-file-system -- .*\.tabula-partial-app/,
    );
    expect(r.stdout).toMatch(/\+ cp -a -x -T -- /);
    const copied = join(storage, rel);
    expect(
      diffManifests(manifest(walkTree(copied)), manifest(walkTree(src))),
    ).toEqual([]);
    const tree = walkTree(copied);
    expect(tree.get("a-link")!.ino).toBe(tree.get("data/a")!.ino);
    expect(tree.get("data/a")!.xattrs["user.kind"]).toBeDefined();
    expect(tree.get("data")!.xattrs["system.posix_acl_access"]).toBeDefined();
    // Parents in storage got the live parents' owner, mode, ACLs and xattrs.
    const parent = walkTree(join(storage, rel, "..")).get("")!;
    const live = walkTree(join(work, "live/var/lib")).get("")!;
    expect([parent.uid, parent.gid, parent.mode.toString(8)]).toEqual([
      7,
      7,
      "770",
    ]);
    expect(parent.xattrs).toEqual(live.xattrs);
    expect(Object.keys(parent.xattrs).sort()).toEqual([
      "system.posix_acl_access",
      "system.posix_acl_default",
      "user.origin",
    ]);
    expect(r.stdout).toMatch(/\+ setfacl --set .*default:user:1002:r-x/);

    const again = helper("tabula_copy_live", storage, rel);
    expect(again.stdout).toContain("is already in storage.");
  });

  it("never takes an older copy in storage for the live data (which the reboot would lose)", () => {
    const src = join(work, "live-stale/var/lib/app");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "state"), "today's data\n");
    const storage = join(work, "storage-stale");
    const rel = src.slice(1);
    // Left in storage from a time this path was persisted before.
    mkdirSync(join(storage, rel), { recursive: true });
    writeFileSync(join(storage, rel, "state"), "last year's data\n");
    const before = manifest(walkTree(storage));

    const r = helper("tabula_copy_live", storage, rel);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /both .*live-stale\/var\/lib\/app \(on the tmpfs root, lost at the next reboot\) and .*storage-stale\/.*app exist, and the one in storage is not a copy of the live one/,
    );
    expect(diffManifests(manifest(walkTree(storage)), before)).toEqual([]);

    // Our own copy, unchanged since, is recognized; a live change after it is not.
    rmSync(join(storage, rel), { recursive: true });
    expect(helper("tabula_copy_live", storage, rel).status).toBe(0);
    expect(helper("tabula_copy_live", storage, rel).stdout).toContain(
      "is already in storage",
    );
    writeFileSync(join(src, "state"), "today's data, changed later\n");
    expect(helper("tabula_copy_live", storage, rel).status).toBe(1);
  });

  it("copies one filesystem: what is mounted inside is named and left out, and the copy is still known as one", () => {
    const src = join(work, "live-mounts/var/lib/app");
    mkdirSync(join(src, "cache"), { recursive: true });
    writeFileSync(join(src, "state"), "kept\n");
    // A 50 MiB tmpfs inside the path (as a FUSE or NFS mount would be).
    execFileSync("mount", [
      "-t",
      "tmpfs",
      "-o",
      "size=50m",
      "tabula-inner",
      join(src, "cache"),
    ]);
    try {
      execFileSync("dd", [
        "if=/dev/zero",
        `of=${join(src, "cache/blob")}`,
        "bs=1M",
        "count=20",
        "status=none",
      ]);
      const storage = join(work, "storage-mounts");
      mkdirSync(storage);
      const rel = src.slice(1);
      const r = helper("tabula_copy_live", storage, rel);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(
        `skipped ${join(src, "cache")}: another filesystem (tmpfs) is mounted there, so only its empty folder is copied.`,
      );
      expect(readFileSync(join(storage, rel, "state"), "utf8")).toBe("kept\n");
      expect(existsSync(join(storage, rel, "cache"))).toBe(true);
      expect(existsSync(join(storage, rel, "cache/blob"))).toBe(false);
      // Run again: the copy of the one filesystem is recognized.
      const again = helper("tabula_copy_live", storage, rel);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toContain("is already in storage.");
    } finally {
      spawnSync("umount", [join(src, "cache")]);
    }
  });

  it("refuses, changing nothing, a path that is a file where the design says folder (and the reverse)", () => {
    const root = join(work, "kinds");
    mkdirSync(join(root, "var/lib/app"), { recursive: true });
    writeFileSync(join(root, "var/lib/state"), "x\n");
    const before = manifest(walkTree(root));
    const file = helper(
      "tabula_check_kinds",
      root,
      "recover.add",
      "directory:var/lib/app",
      "directory:var/lib/state",
    );
    expect(file.status).toBe(2);
    expect(file.stderr).toContain(
      `${join(root, "var/lib/state")} is a file, but the design persists /var/lib/state as a folder (recover.add directories)`,
    );
    const dir = helper(
      "tabula_check_kinds",
      root,
      "persistence",
      "file:var/lib/app",
    );
    expect(dir.status).toBe(2);
    expect(dir.stderr).toContain(
      "is a folder, but the design persists /var/lib/app as a file (persistence files)",
    );
    // Missing paths and the right kinds pass.
    expect(
      helper(
        "tabula_check_kinds",
        root,
        "persistence",
        "directory:var/lib/app",
        "file:var/lib/state",
        "file:var/lib/missing",
      ).status,
    ).toBe(0);
    expect(diffManifests(manifest(walkTree(root)), before)).toEqual([]);
  });

  describe("stopping the services that write the paths (systemctl stand-in)", () => {
    const systemctlDir = join(import.meta.dirname, "../../support/systemctl");
    function units(spec: Record<string, string>): {
      env: NodeJS.ProcessEnv;
      log: string;
      state: string;
    } {
      const state = mkdtempSync(join(work, "units-"));
      for (const [name, value] of Object.entries(spec))
        writeFileSync(join(state, name), `${value}\n`);
      const log = join(state, "calls.log");
      return {
        state,
        log,
        env: {
          PATH: `${systemctlDir}:${process.env.PATH}`,
          TABULA_SYSTEMCTL_STATE: state,
          TABULA_SYSTEMCTL_LOG: log,
          SSH_CONNECTION: "",
        },
      };
    }
    const calls = (log: string) => readFileSync(log, "utf8").trim().split("\n");

    it("asks, then stops the socket units before their services, and passes over units not running", () => {
      const u = units({
        "docker.service": "active",
        "docker.service.triggered-by": "docker.socket",
        "docker.socket": "active",
        "cups.service": "inactive",
      });
      const declined = helperWith(
        { env: u.env, yes: false, input: "no\n" },
        "tabula_stop_services",
        "docker.service",
        "cups.service",
      );
      expect(declined.status).toBe(4);
      expect(declined.stdout).toContain(
        "Stop docker.socket docker.service so the copy is consistent?",
      );
      expect(calls(u.log).filter((c) => c.startsWith("stop"))).toEqual([]);

      const r = helperWith(
        { env: u.env, yes: false, input: "yes\n" },
        "tabula_stop_services",
        "docker.service",
        "cups.service",
      );
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("cups.service is not running.");
      expect(calls(u.log).filter((c) => /^(stop|restartable)/.test(c))).toEqual(
        ["stop docker.socket", "stop docker.service"],
      );
      // Run again: nothing is running, nothing is asked or stopped.
      const again = helperWith(
        { env: u.env, yes: false },
        "tabula_stop_services",
        "docker.service",
      );
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toContain("docker.service is not running.");
    });

    it("leaves running what the network and an SSH login need, and says so", () => {
      const u = units({
        "NetworkManager.service": "active",
        "tailscaled.service": "active",
      });
      const r = helperWith(
        {
          env: { ...u.env, SSH_CONNECTION: "192.0.2.7 51000 192.0.2.1 22" },
          yes: false,
        },
        "tabula_stop_services",
        "NetworkManager.service",
        "tailscaled.service",
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        "NetworkManager.service keeps running: stopping it would cut the network and this SSH session that the rest of the run needs.",
      );
      expect(r.stderr).toContain("tailscaled.service keeps running");
      expect(calls(u.log).filter((c) => c.startsWith("stop"))).toEqual([]);
    });
  });

  it("names a path a desktop program writes, and asks before copying it while the program runs", () => {
    const bin = mkdtempSync(join(work, "prog-"));
    const firefox = join(bin, "firefox");
    execFileSync("cp", ["/bin/sleep", firefox]);
    const path = "/home/mira/.mozilla";
    const idle = helperWith(
      { yes: false },
      "tabula_program_check",
      "Firefox",
      path,
      "tabula-no-such-program",
    );
    expect(idle.status, idle.stderr).toBe(0);
    expect(idle.stdout).toContain(
      "/home/mira/.mozilla is written by Firefox while it runs; Firefox is not running now.",
    );
    const running = spawn(firefox, ["30"], { stdio: "ignore" });
    try {
      const declined = helperWith(
        { yes: false, input: "no\n" },
        "tabula_program_check",
        "Firefox",
        path,
        "firefox",
      );
      expect(declined.status).toBe(4);
      expect(declined.stderr).toContain(
        "Firefox is running, and it writes /home/mira/.mozilla while it runs",
      );
      expect(declined.stdout).toContain(
        "Copy /home/mira/.mozilla while Firefox runs?",
      );
    } finally {
      running.kill();
    }
  });

  it("phase recover refuses a root that is not a tmpfs", () => {
    const plan = writePlan(recoverDesign("live"), join(work, "plan"));
    const r = runSteps(plan.script, ["recover", "--yes"]);
    if (
      spawnSync("findmnt", ["-n", "-o", "FSTYPE", "--mountpoint", "/"], {
        encoding: "utf8",
      }).stdout.trim() === "tmpfs"
    )
      return; // a stateless machine: nothing to refuse
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "/ is not a tmpfs: this system is not stateless yet",
    );
  });
});
