// The sandbox's one real run: phase migrate of a real plan (compiled from a
// convert design that fits the sandbox) really moves the files of the pretend
// root partition, with the arguments sandboxRun gives, and a second run
// finds nothing left to do. Nothing is lost: every file is still there.
// The same works without root: a user's Tabula (here nobody, through
// setpriv) creates the sandbox and really migrates it.
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openWorkspace } from "../../../../electron/backend/files";
import { createBackend } from "../../../../electron/backend/services";
import {
  createSandbox,
  sandboxRun,
  type Sandbox,
} from "../../../../electron/backend/sandbox";
import { SANDBOX_PERSISTED } from "../../../../electron/backend/sandbox-converted";
import {
  HOSTILE_NAMES,
  SANDBOX_USER,
} from "../../../../electron/backend/sandbox-root";
import { validateDesign } from "../../../../shared/design/validate";
import { planStepFiles } from "../../../../shared/plan/files";
import { describeWith } from "../../../support/needs";

/** A convert design for the sandbox's NixOS (its UUIDs, its users). */
const DESIGN = {
  format: "tabula/1",
  mode: "convert",
  hostname: "tern",
  system: "x86_64-linux",
  stateVersion: "25.05",
  root: { size: "25%" },
  convert: {
    device: "/dev/disk/by-uuid/3f1b6c2e-8d4a-4e0b-9f6a-2c5d7e8f9a01",
    fsType: "ext4",
    options: [],
    configDir: "/etc/nixos",
    flakeAttr: "tern",
    bootloader: "systemd-boot",
    boot: {
      device: "/dev/disk/by-uuid/A1B2-C3D4",
      fsType: "vfat",
      options: ["fmask=0077", "dmask=0077"],
      mountPoint: "/boot",
    },
  },
  persistence: {
    storage: "/nix/persistent",
    hideMounts: true,
    directories: [
      "/etc/nixos",
      "/var/lib/nixos",
      "/var/lib/systemd",
      "/var/log",
    ],
    files: [
      "/etc/machine-id",
      "/etc/ssh/ssh_host_ed25519_key",
      "/etc/ssh/ssh_host_ed25519_key.pub",
    ],
    users: {
      [SANDBOX_USER]: {
        directories: ["Documents", ".ssh"],
        files: [".bash_history"],
      },
    },
  },
  users: {
    [SANDBOX_USER]: {
      uid: 1000,
      isNormalUser: true,
      hashedPassword:
        "$6$Wl7pRz3uQeSXEu1u$x10mZNqnAOEcufqjqLk5QfDHkXzzgdUwiiZ7p6P7ehTb0bD/EqNLq.bpbc/xfGerkVRUDIMwBT9CqrmnjB1kK0",
    },
  },
};

/**
 * Every file and symlink under `dir` as "inode:size", to prove nothing went
 * missing; Tabula's own folder (its journal grows with each run) left out.
 */
function inventory(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === join(dir, ".tabula")) continue;
      if (e.isDirectory()) walk(p);
      else {
        const st = lstatSync(p);
        out.push(`${st.ino}:${st.size}`);
      }
    }
  };
  walk(dir);
  return [...new Set(out)].sort();
}

/** A plan for DESIGN written into the sandbox's folder; returns steps.sh. */
function writeSandboxPlan(sandbox: Pick<Sandbox, "dir">): string {
  const { design, problems } = validateDesign(DESIGN);
  expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  const files = planStepFiles(design!);
  if (!files.ok) throw new Error(JSON.stringify(files.problems));
  const planDir = join(sandbox.dir, "plan");
  for (const f of files.files) {
    mkdirSync(join(planDir, f.path, ".."), { recursive: true });
    writeFileSync(join(planDir, f.path), f.content);
  }
  return join(planDir, "steps.sh");
}

let sandbox: Sandbox;
let steps: string;

/** Runs `args` as nobody, with no supplementary groups. */
function asNobody(args: string[]) {
  return spawnSync(
    "setpriv",
    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", ...args],
    {
      encoding: "utf8",
      input: "",
      env: { ...process.env, HOME: "/nonexistent" },
    },
  );
}

describeWith(
  ["root", "bash"],
  "a real migrate on the sandbox, as a user",
  () => {
    let parent: string;
    let userSandbox: Pick<Sandbox, "dir" | "rootPartition" | "installTarget">;
    let userSteps: string;

    beforeAll(() => {
      // The sandbox made by a user's Tabula: createSandbox run as nobody.
      parent = mkdtempSync(join(tmpdir(), "review-steps-sandbox-"));
      chmodSync(parent, 0o755);
      execFileSync("chown", ["nobody:nogroup", parent]);
      const made = asNobody([
        join(process.cwd(), "node_modules/.bin/tsx"),
        "-e",
        `import(${JSON.stringify(join(process.cwd(), "electron/backend/sandbox.ts"))}).then((m) => { const s = m.createSandbox({ parent: ${JSON.stringify(parent)} }); console.log(JSON.stringify({ dir: s.dir, rootPartition: s.rootPartition, installTarget: s.installTarget })); })`,
      ]);
      expect(made.status, made.stderr).toBe(0);
      userSandbox = JSON.parse(made.stdout.trim().split("\n").pop()!);
      expect(lstatSync(userSandbox.rootPartition).uid).toBe(65534);
      userSteps = writeSandboxPlan(userSandbox);
    });

    afterAll(() => {
      if (parent) rmSync(parent, { recursive: true, force: true });
    });

    it("really moves the files without root, and a second run changes nothing", () => {
      const run = sandboxRun("migrate", userSandbox);
      expect(run.dryRun).toBe(false);
      const migrate = () =>
        asNobody(["bash", userSteps, "migrate", "--yes", ...run.args]);
      const root = userSandbox.rootPartition;
      const before = inventory(root);
      const result = migrate();
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("Running as nobody, not root");
      expect(readdirSync(root).sort()).toEqual([
        ".tabula",
        "old-root",
        "persistent",
        "store",
        "var",
      ]);
      expect(inventory(root)).toEqual(before);
      const again = migrate();
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).not.toMatch(/\+ mv /);
      expect(inventory(root)).toEqual(before);
    });
  },
);

describeWith(["root", "bash"], "a real migrate on the sandbox", () => {
  beforeAll(() => {
    sandbox = createSandbox();
    steps = writeSandboxPlan(sandbox);
  });

  afterAll(() => sandbox?.dispose());

  const runMigrate = () => {
    const run = sandboxRun("migrate", sandbox);
    expect(run.dryRun).toBe(false);
    return spawnSync("bash", [steps, "migrate", "--yes", ...run.args], {
      encoding: "utf8",
    });
  };

  it("moves persisted paths into persistent/, the rest into old-root/, and hoists nix/", () => {
    const root = sandbox.rootPartition;
    const before = inventory(root);
    const machineId = readFileSync(join(root, "etc/machine-id"), "utf8");
    const result = runMigrate();
    expect(result.stderr).toContain("going on because of --force");
    expect(result.status).toBe(0);
    expect(readdirSync(root).sort()).toEqual([
      ".tabula",
      "old-root",
      "persistent",
      "store",
      "var",
    ]);
    expect(readFileSync(join(root, "persistent/etc/machine-id"), "utf8")).toBe(
      machineId,
    );
    const odd = join(
      root,
      `persistent/home/${SANDBOX_USER}/Documents/odd names`,
    );
    expect(readdirSync(odd).sort()).toEqual([...HOSTILE_NAMES].sort());
    expect(lstatSync(join(root, "old-root/var/lib/docker")).isDirectory()).toBe(
      true,
    );
    expect(
      lstatSync(join(root, "old-root/etc/ssh/ssh_host_rsa_key")).isFile(),
    ).toBe(true);
    expect(
      lstatSync(join(root, "var/nix/profiles/system")).isSymbolicLink(),
    ).toBe(true);
    // Moved, never copied or deleted: the same inodes, the same sizes.
    expect(inventory(root)).toEqual(before);
  });

  it("finds nothing left to do when run again", () => {
    const before = inventory(sandbox.rootPartition);
    const result = runMigrate();
    expect(result.status).toBe(0);
    expect(inventory(sandbox.rootPartition)).toEqual(before);
  });

  it("reverts for real too: every path back where it was, the bootloader left alone", () => {
    const root = sandbox.rootPartition;
    const before = inventory(root);
    const run = sandboxRun("revert", sandbox);
    expect(run.dryRun).toBe(false);
    const result = spawnSync("bash", [steps, "revert", "--yes", ...run.args], {
      encoding: "utf8",
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Skipped: --target was given/);
    expect(readdirSync(root)).not.toContain("old-root");
    expect(readdirSync(root)).not.toContain("persistent");
    expect(readdirSync(root)).toContain("nix");
    expect(lstatSync(join(root, "etc/machine-id")).isFile()).toBe(true);
    // The same inodes and sizes as before the revert, at their old places.
    expect(inventory(root)).toEqual(before);
  });
});

describeWith(
  ["bash"],
  "what the backend says migrate will do, as root or not",
  () => {
    /** A sandbox backend that believes it runs as root, or not. */
    async function backendAs(isRoot: boolean) {
      const sandbox = createSandbox();
      const backend = createBackend({
        version: "test",
        machine: "sandbox",
        sandbox,
        files: await openWorkspace(sandbox.dir),
        stateDir: join(sandbox.dir, "state"),
        isRoot,
      });
      const handlers = backend.handlersFor({
        transport: "electron",
        controlling: () => true,
      });
      return {
        sandbox,
        handlers,
        backend,
        close: async () => {
          await backend.close();
          sandbox.dispose();
        },
      };
    }

    it("as root: a real run of the sandbox's folder, and a dry run when asked", async () => {
      const b = await backendAs(true);
      try {
        expect(
          await b.handlers.runMode({ phase: "migrate", dryRun: false }),
        ).toEqual({
          dryRun: false,
          note: expect.stringContaining(
            `migrate really moves the files of the sandbox's pretend root partition (the folder ${b.sandbox.rootPartition})`,
          ),
        });
        expect(
          await b.handlers.runMode({ phase: "migrate", dryRun: true }),
        ).toEqual({
          dryRun: true,
          note: "A dry run, as asked: every command is printed and nothing is changed, not even in the sandbox's folder.",
        });
        for (const phase of ["prepare", "bootloader"] as const)
          expect(
            (await b.handlers.runMode({ phase, dryRun: false })).dryRun,
          ).toBe(true);
      } finally {
        await b.close();
      }
    });

    // steps.sh runs migrate without root on a folder the user owns (only
    // renames, checked by the kernel), so being root changes nothing here;
    // the e2e test runs the server as nobody end to end.
    it("not as root: migrate still really runs on the sandbox's own folder", async () => {
      const asRoot = await backendAs(true);
      const notRoot = await backendAs(false);
      try {
        const said = await notRoot.handlers.runMode({
          phase: "migrate",
          dryRun: false,
        });
        expect(said.dryRun).toBe(false);
        expect(said.note).toContain(
          `migrate really moves the files of the sandbox's pretend root partition (the folder ${notRoot.sandbox.rootPartition})`,
        );
        const rootSaid = await asRoot.handlers.runMode({
          phase: "migrate",
          dryRun: false,
        });
        expect(rootSaid.dryRun).toBe(false);
      } finally {
        await asRoot.close();
        await notRoot.close();
      }
    });
  },
);

/** Every path under `dir` with its kind and mode, Tabula's own folder left out. */
function shape(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (r === "/.tabula") continue;
      const st = lstatSync(join(d, e.name));
      out.push(
        `${r} ${e.isDirectory() ? "d" : e.isSymbolicLink() ? "l" : "f"} ${(st.mode & 0o7777).toString(8)}`,
      );
      if (e.isDirectory()) walk(join(d, e.name), r);
    }
  };
  walk(dir, "");
  return out.sort();
}

describeWith(["root", "bash"], "the sandbox's converted partition", () => {
  it("is exactly what a real migrate makes of the pretend root with what it persisted", () => {
    const home = `/home/${SANDBOX_USER}/`;
    const isDir = (p: string) =>
      lstatSync(join(fresh.rootPartition, p)).isDirectory();
    const fresh = createSandbox();
    const converted = createSandbox({ scenario: "livecd-converted" });
    try {
      const system = SANDBOX_PERSISTED.filter((p) => !p.startsWith(home));
      const user = SANDBOX_PERSISTED.filter((p) => p.startsWith(home));
      const design = structuredClone(DESIGN);
      design.persistence = {
        ...design.persistence,
        directories: system.filter(isDir),
        files: system.filter((p) => !isDir(p)),
        users: {
          [SANDBOX_USER]: {
            directories: user.filter(isDir).map((p) => p.slice(home.length)),
            files: user
              .filter((p) => !isDir(p))
              .map((p) => p.slice(home.length)),
          },
        },
      };
      const { design: valid } = validateDesign(design);
      const files = planStepFiles(valid!);
      if (!files.ok) throw new Error(JSON.stringify(files.problems));
      const planDir = join(fresh.dir, "plan");
      for (const f of files.files) {
        mkdirSync(join(planDir, f.path, ".."), { recursive: true });
        writeFileSync(join(planDir, f.path), f.content);
      }
      const run = sandboxRun("migrate", fresh);
      const result = spawnSync(
        "bash",
        [join(planDir, "steps.sh"), "migrate", "--yes", ...run.args],
        { encoding: "utf8" },
      );
      expect(result.status, result.stderr).toBe(0);
      expect(shape(converted.rootPartition)).toEqual(
        shape(fresh.rootPartition),
      );
    } finally {
      fresh.dispose();
      converted.dispose();
    }
  });
});
