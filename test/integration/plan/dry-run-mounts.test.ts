// A dry run prints the mount commands without running them, so helpers that
// look at the target afterwards see an empty folder. What they find there
// must not be reported as a reason the real run would stop (the real run
// mounts first); problems found before any mount still are.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  convertDesign,
  installDesign,
  recoverDesign,
} from "../../support/designs";
import { describeWith } from "../../support/needs";
import { runSteps, writePlan } from "../../support/steps";

const tmpRoot = join(import.meta.dirname, "../../.tmp");
const OSC = new RegExp(String.raw`\u001b\][^\u0007]*\u0007`, "g");
const plain = (text: string) => text.replace(OSC, "");

describeWith(["bash"], "dry runs and the mounts they only print", () => {
  let work: string;

  beforeAll(() => {
    mkdirSync(tmpRoot, { recursive: true });
    work = mkdtempSync(join(tmpRoot, "steps-dry-mounts-"));
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("recover from old-root/: the unmounted quarantine is 'not checked yet', not a stop", () => {
    const plan = writePlan(recoverDesign("old-root"), join(work, "recover"));
    const target = join(work, "recover-target");
    mkdirSync(target);
    const r = runSteps(plan.script, [
      "recover",
      "--dry-run",
      "--mountpoint",
      target,
    ]);
    const out = plain(r.stdout + r.stderr);
    expect(r.status, out).toBe(0);
    expect(out).toContain(
      "(dry run) not checked yet, since only the real run mounts",
    );
    const summary = out.slice(out.indexOf("Dry run finished"));
    expect(summary).not.toMatch(/old-root|quarantine/);
    expect(readdirSync(target)).toEqual([]);
  });

  it("migrate: what the unmounted mount point holds is never judged or moved", () => {
    const plan = writePlan(convertDesign(), join(work, "convert"));
    // The LiveCD's /mnt may hold anything before the real run mounts the
    // old root over it: none of it may show up as a move or a stop.
    const target = join(work, "migrate-target");
    mkdirSync(join(target, "unrelated-folder"), { recursive: true });
    writeFileSync(join(target, "unrelated-file"), "x");
    const r = runSteps(plan.script, [
      "migrate",
      "--dry-run",
      "--mountpoint",
      target,
    ]);
    const out = plain(r.stdout + r.stderr);
    expect(r.status, out).toBe(0);
    expect(out).not.toContain("unrelated-");
    expect(out).not.toContain("is not on the old root");
    expect(out).not.toContain("already hoisted");
    expect(out).not.toContain("Refused:");
    // Every persisted path is still shown with the rename the real run makes.
    expect(out).toContain(
      `+ mv -T -- ${target}/var/lib/nixos ${target}/persistent/var/lib/nixos`,
    );
    expect(out).toContain(
      `+ mv -T -- ${target}/nix ${target}/.tabula/nix-hoisting`,
    );
    const summary = out.slice(out.indexOf("Dry run finished"));
    expect(summary).not.toMatch(
      /check-old-root|check-new-layout|is not a folder|missing/,
    );
    expect(readdirSync(target).sort()).toEqual([
      "unrelated-file",
      "unrelated-folder",
    ]);
  });

  it("install: a problem found before any mount is still a reason the real run stops", () => {
    const plan = writePlan(
      installDesign({
        disk: { ...installDesign().disk!, device: "/dev/tabula-no-such-disk" },
      }),
      join(work, "install"),
    );
    const target = join(work, "install-target");
    mkdirSync(target);
    const r = runSteps(plan.script, [
      "install",
      "--dry-run",
      "--mountpoint",
      target,
    ]);
    const out = plain(r.stdout + r.stderr);
    expect(r.status, out).toBe(0);
    const summary = out.slice(out.indexOf("Dry run finished"));
    expect(summary).toContain("The real run would stop");
    expect(summary).toContain("/dev/tabula-no-such-disk");
  });
});
