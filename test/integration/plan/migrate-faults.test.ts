// Fault injection for phase migrate: an LD_PRELOAD shim (test/support/
// rename-fault.c, compiled here with cc) counts every rename call of every
// process the script starts and kills the whole process group with SIGKILL
// at the Nth call, just before or just after it. For every N the script is
// run again without the shim; the final tree must equal an uninterrupted
// run's, with every entry where it belongs and its inode unchanged.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { persistedRelatives } from "../../../shared/plan/convert";
import { compileFaultShim } from "../../support/fault-shim";
import { describeWith } from "../../support/needs";
import { buildOldRoot, oldRootDesign } from "../../support/old-root";
import {
  expectedAfterMigrate,
  runStepsDetached,
  writePlan,
  type WrittenPlan,
} from "../../support/steps";
import { diffManifests, manifest, walkTree } from "../../support/tree";
import { verifyStore } from "../../support/store";

const tmpRoot = join(import.meta.dirname, "../../.tmp");
const noJournal = (rel: string) => rel === ".tabula/journal";

describeWith(
  ["root", "nix", "bash", "cc"],
  "phase migrate killed at every rename, then run again",
  () => {
    let work: string;
    let plan: WrittenPlan;
    let template: string;
    let shim: string;
    let reference: Map<string, string>;
    let renames: number;
    let persisted: string[];

    beforeAll(async () => {
      mkdirSync(tmpRoot, { recursive: true });
      work = mkdtempSync(join(tmpRoot, "steps-faults-"));
      shim = compileFaultShim(work);
      plan = writePlan(oldRootDesign(), join(work, "plan"));
      const parent = join(work, "template");
      mkdirSync(parent);
      // Fewer hostile names at the top than in migrate.test.ts (each is one
      // more rename, so two more runs); they all stay inside the homes.
      template = buildOldRoot(parent, {
        migrationJson: plan.files["migration.json"],
        topLevelHostile: 5,
      }).dir;
      persisted = persistedRelatives(oldRootDesign()).filter((p) =>
        walkTree(template).has(p),
      );

      // The uninterrupted run, counting renames.
      const root = await copy("reference");
      const counter = join(work, "reference.count");
      const r = await runStepsDetached(
        plan.script,
        ["migrate", "--yes", "--target", root],
        { LD_PRELOAD: shim, TABULA_FAULT_COUNTER: counter },
      );
      expect(r.status, r.stderr).toBe(0);
      renames = Number(readFileSync(counter, "utf8"));
      reference = manifest(walkTree(root, noJournal));
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    async function copy(name: string): Promise<string> {
      const dir = join(work, name);
      mkdirSync(dir);
      await promisify(execFile)("cp", ["-a", template, join(dir, "root")]);
      return join(dir, "root");
    }

    /** Runs killed at each given rename in turn (counted per run), then to the end; checks the result. */
    async function crashAndResume(name: string, kills: [number, string][]) {
      const root = await copy(name);
      const before = walkTree(root);
      for (const [at, when] of kills) {
        const counter = join(work, `${name}.count`);
        writeFileSync(counter, "0\n");
        const killed = await runStepsDetached(
          plan.script,
          ["migrate", "--yes", "--target", root],
          {
            LD_PRELOAD: shim,
            TABULA_FAULT_COUNTER: counter,
            TABULA_FAULT_AT: String(at),
            TABULA_FAULT_WHEN: when,
          },
        );
        expect(
          killed.signal,
          `${name}: the run should die at rename ${at}`,
        ).toBe("SIGKILL");
      }
      const resumed = await runStepsDetached(
        plan.script,
        ["migrate", "--yes", "--target", root],
        {},
      );
      expect(resumed.status, `${name}: ${resumed.stderr}`).toBe(0);
      const after = walkTree(root, noJournal);
      expect(diffManifests(manifest(after), reference), name).toEqual([]);
      for (const [rel, entry] of before) {
        const target = expectedAfterMigrate(rel, persisted);
        if (target === null) continue;
        expect(after.get(target)?.ino, `${name}: ${JSON.stringify(rel)}`).toBe(
          entry.ino,
        );
      }
      return root;
    }

    it("counts the renames of an uninterrupted run", () => {
      // persisted paths + top-level entries + nix/ and its entries
      expect(renames).toBeGreaterThan(30);
    });

    it("loses nothing when killed just before or just after any rename", async () => {
      const cases: [number, string][] = [];
      for (let n = 1; n <= renames; n++)
        for (const when of ["before", "after"]) cases.push([n, when]);
      // A few at a time: most of a run is waiting for processes to start.
      const next = async (): Promise<void> => {
        const c = cases.shift();
        if (!c) return;
        const name = `n${c[0]}-${c[1]}`;
        const root = await crashAndResume(name, [c]);
        if (c[0] === renames && c[1] === "after") verifyStore(root, work); // the store of a resumed run still verifies
        rmSync(join(work, name), { recursive: true });
        return next();
      };
      await Promise.all([next(), next(), next()]);
    }, 900_000);

    it("loses nothing when the resumed run is killed too", async () => {
      const mid = Math.floor(renames / 2);
      for (const kills of [
        [
          [3, "after"],
          [1, "before"],
          [2, "after"],
        ],
        [
          [mid, "after"],
          [1, "after"],
        ],
        [
          [renames - 2, "before"],
          [1, "after"],
        ],
      ] as [number, string][][]) {
        const name = `double-${kills.map((k) => k.join("")).join("-")}`;
        await crashAndResume(name, kills);
        rmSync(join(work, name), { recursive: true });
      }
    }, 300_000);
  },
);
