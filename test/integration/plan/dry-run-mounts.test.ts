// A dry run prints the mount commands without running them, so helpers that
// look at the target afterwards see an empty folder. What they find there
// must not be reported as a reason the real run would stop (the real run
// mounts first); problems found before any mount still are.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recoverDesign, installDesign } from "../../support/designs";
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
