// Random valid conversion designs (hostile path names from the design
// stream's generator: quotes, `$`, `${`, backslashes, spaces, unicode) run
// for real: every persisted path present on the old root ends under
// persistent/ with its inode, everything else under old-root/.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Design } from "../../../shared/design/types";
import { validateDesign } from "../../../shared/design/validate";
import { storageOnPartition } from "../../../shared/plan/install";
import { persistedPaths } from "../../../shared/plan/persisted";
import { validDesign } from "../../support/design-arbitrary";
import { describeWith } from "../../support/needs";
import { expectedAfterMigrate, runSteps, writePlan } from "../../support/steps";
import { walkTree } from "../../support/tree";

const tmpRoot = join(import.meta.dirname, "../../.tmp");

describeWith(["root", "bash"], "phase migrate on random designs", () => {
  let work: string;
  beforeAll(() => {
    mkdirSync(tmpRoot, { recursive: true });
    work = mkdtempSync(join(tmpRoot, "steps-random-"));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("moves exactly the persisted paths, whatever their names", () => {
    const designs = fc
      .sample(
        validDesign.filter((d) => d.mode === "convert"),
        {
          numRuns: 12,
          seed: 7,
        },
      )
      .map((doc) => validateDesign(doc).design as Design);
    designs.forEach((design, i) => {
      const dir = join(work, `d${i}`);
      const plan = writePlan(design, join(dir, "plan"));
      const root = join(dir, "root");
      // A minimal NixOS root holding every persisted path (folders as
      // folders, files as files) plus a neighbour that is not persisted.
      for (const d of ["nix/store", "nix/var/nix/db", "etc", ".tabula"])
        mkdirSync(join(root, d), { recursive: true });
      writeFileSync(join(root, "etc/NIXOS"), "");
      writeFileSync(
        join(root, ".tabula/migration.json"),
        plan.files["migration.json"]!,
      );
      const persisted = persistedPaths(design.persistence, design.users);
      for (const p of persisted) {
        const abs = join(root, p.path);
        const covered = persisted.some(
          (q) =>
            q !== p && q.kind === "file" && p.path.startsWith(`${q.path}/`),
        );
        if (covered) continue;
        mkdirSync(join(abs, ".."), { recursive: true });
        if (p.kind === "directory") {
          mkdirSync(abs, { recursive: true });
          writeFileSync(join(abs, "inside"), p.path);
        } else if (!exists(abs)) writeFileSync(abs, p.path);
        writeFileSync(`${abs}.neighbour`, "not persisted");
      }
      const store = storageOnPartition(design.persistence.storage)!;
      const before = walkTree(root);
      const rels = persisted
        .map((p) => p.path.slice(1))
        .filter((r) => before.has(r));
      const r = runSteps(plan.script, ["migrate", "--yes", "--target", root]);
      expect(
        r.status,
        `${JSON.stringify(design.persistence)}\n${r.stderr}`,
      ).toBe(0);
      const after = walkTree(root);
      for (const [rel, entry] of before) {
        const target = expectedAfterMigrate(rel, rels, store);
        if (target === null) continue;
        expect(
          after.get(target)?.ino,
          `${JSON.stringify(rel)} -> ${JSON.stringify(target)}`,
        ).toBe(entry.ino);
      }
    });
  }, 300_000);
});

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
