// The sandbox is the default outside NixOS, where Tabula rarely runs as
// root: every scenario must be made (and thrown away) by an ordinary user.
// Root ignores folder permissions, so this runs as "nobody".
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { expect, it } from "vitest";
import { SANDBOX_SCENARIOS } from "../../../../electron/backend/sandbox";
import { describeWith } from "../../../support/needs";

const root = new URL("../../../../", import.meta.url).pathname;
const NOBODY = 65534;

describeWith(["root"], "the sandbox made by an ordinary user", () => {
  it("is made, looked into and thrown away in every scenario", () => {
    const script = `
      import { createSandbox } from "./electron/backend/sandbox.ts";
      import { listQuarantineInSandbox } from "./electron/backend/quarantine.ts";
      import { scanRoot } from "./electron/backend/scan.ts";
      const s = createSandbox({ scenario: process.argv[1] });
      console.log(s.dir);
      scanRoot({ root: s.scanRoot });
      const install = s.facts().installs[0];
      if (install.hasOldRoot) {
        const r = await listQuarantineInSandbox(
          { device: install.device, path: "/home/alice" },
          s.facts(),
          s.partitionFolders,
        );
        console.log(r.entries.map((e) => e.name).join(","));
      }
      s.dispose();`;
    for (const scenario of SANDBOX_SCENARIOS) {
      const result = spawnSync(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", script, scenario],
        {
          cwd: root,
          uid: NOBODY,
          gid: NOBODY,
          env: { ...process.env, HOME: "/nonexistent" },
          encoding: "utf8",
        },
      );
      expect(result.stderr, scenario).toBe("");
      expect(result.status, scenario).toBe(0);
      const [dir, names] = result.stdout.trim().split("\n");
      expect(existsSync(dir!), scenario).toBe(false);
      if (scenario === "stateless" || scenario === "livecd-converted")
        expect(names, scenario).toContain("Documents");
    }
  });
});
