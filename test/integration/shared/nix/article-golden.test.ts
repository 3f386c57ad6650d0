// Golden: the reference article's configuration
// (/work/shared/tools/nixos-eval/article-example.nix, copied into
// test/fixtures/designs/article.json as a design) gives that persistence and
// that nix-daemon fix (for the Nix before 2.30 it was written for), compared
// on values evaluated by nix-instantiate.
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { validateDesign } from "../../../../shared/design/validate";
import { planFiles } from "../../../../shared/plan-files";
import { describeWith } from "../../../support/needs";
import { nixEval, tempDir } from "../../../support/nix";
import { evaluateConfiguration } from "../../../support/nixos-tools";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

// The article's module, kept beside the fixture so CI has it (the shared copy is the source).
const ARTICLE = "test/fixtures/designs/article-example.nix";
const SHARED = "/work/shared/tools/nixos-eval/article-example.nix";

/** Lists compared as sets: impermanence does not care about their order. */
const SORTED = `
  let
    sortList = l: builtins.sort (a: b: builtins.toJSON a < builtins.toJSON b) l;
    canon = s: {
      inherit (s) hideMounts;
      directories = sortList (s.directories or [ ]);
      files = sortList (s.files or [ ]);
      users = builtins.mapAttrs (_: u: {
        directories = sortList (u.directories or [ ]);
        files = sortList (u.files or [ ]);
      }) (s.users or { });
    };
  in builtins.mapAttrs (_: canon)`;

describeWith(["nix"], "the reference article as a design", () => {
  it("keeps the article's module in its fixture unchanged", () => {
    if (!existsSync(SHARED)) return;
    expect(readFileSync(ARTICLE, "utf8")).toBe(readFileSync(SHARED, "utf8"));
  });

  it("validates, with warnings only, and gives that persistence and that nix-daemon fix", () => {
    const result = validateDesign(
      JSON.parse(readFileSync("test/fixtures/designs/article.json", "utf8")),
    );
    expect(result.design).not.toBeNull();
    // The article persists /home and also lists the user's folders (11 redundant
    // entries), names devices by kernel name, and sets its password with passwd.
    const warnings = result.problems.map(
      (p) => `${p.severity} ${p.path}: ${p.message}`,
    );
    expect(
      warnings.filter((w) => /already persisted through "\/home"/.test(w)),
    ).toHaveLength(11);
    expect(warnings.filter((w) => /is a kernel name/.test(w))).toHaveLength(2);
    expect(
      warnings.filter((w) =>
        /^warning users\.lantian: has no hashedPassword/.test(w),
      ),
    ).toHaveLength(1);
    expect(warnings).toHaveLength(14);
    const dir = tempDir("article");
    for (const f of planFiles(result.design!)) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    copyFileSync(ARTICLE, join(dir, "article.nix"));
    const r = nixEval(`
      let
        article = import ${dir}/article.nix { };
        ours = import ${dir}/nixos/persistence.nix;
        stateless = import ${dir}/nixos/stateless.nix { config = { }; lib.mkForce = x: x; };
        canon = ${SORTED};
      in {
        article = canon article.environment.persistence;
        ours = canon ours.environment.persistence;
        articleDaemon = article.systemd.services.nix-daemon;
        articleRemote = article.environment.variables.NIX_REMOTE;
        articleRootMode = builtins.elem "mode=755" article.fileSystems."/".options;
        oursRootMode = builtins.elem "mode=755" stateless.fileSystems."/".options;
      }`) as Record<string, unknown>;
    expect(r.ours).toEqual(r.article);
    expect(Object.keys(r.ours as object)).toEqual(["/nix/persistent"]);
    // The article's fix is what older Nix needs (nixos-25.05 ships 2.28):
    // ours, evaluated by the module system for that Nix, is the same.
    const ours = evaluateConfiguration(
      { configuration: join(dir, "nixos/stateless.nix") },
      { nixPackage: "nix-2.28.4" },
    ).nixBuilds;
    expect(r.articleDaemon).toEqual({
      environment: { TMPDIR: ours.daemonTmpdir },
      serviceConfig: { CacheDirectory: ours.daemonCacheDirectory },
    });
    expect(r.articleRemote).toBe(ours.nixRemote);
    expect(r.oursRootMode).toBe(true);
    expect(r.articleRootMode).toBe(true);
  });
});
