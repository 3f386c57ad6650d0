// tabula_move renames and never copies: where mv knows --no-copy (coreutils
// 9.3+, as on the LiveCD) the library passes it, so a rename the kernel
// refuses stops the step instead of turning into copy-and-delete. This
// machine's mv may predate the flag, so the second case puts an mv on PATH
// that advertises it and records its arguments before doing the real move.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { STEPS_LIB } from "../../../shared/plan/steps-lib";
import { describeWith } from "../../support/needs";

const tmpRoot = join(import.meta.dirname, "../../.tmp");

describeWith(["bash"], "tabula_move and mv's copy fallback", () => {
  let work: string;
  let lib: string;

  beforeAll(() => {
    mkdirSync(tmpRoot, { recursive: true });
    work = mkdtempSync(join(tmpRoot, "steps-move-"));
    lib = join(work, "lib.sh");
    writeFileSync(lib, STEPS_LIB);
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function move(dir: string, path: string) {
    mkdirSync(join(dir, "a"), { recursive: true });
    mkdirSync(join(dir, "b"), { recursive: true });
    writeFileSync(join(dir, "a/file"), "data\n");
    const inode = lstatSync(join(dir, "a/file")).ino;
    const result = spawnSync(
      "bash",
      [
        "-c",
        'set -euo pipefail; source "$1"; TABULA_PHASE=migrate; tabula_move "$2/a/file" "$2/b/file"',
        "bash",
        lib,
        dir,
      ],
      { encoding: "utf8", env: { ...process.env, PATH: path } },
    );
    return { result, inode };
  }

  it("moves by rename with this machine's mv", () => {
    const dir = join(work, "plain");
    const { result, inode } = move(dir, process.env.PATH ?? "");
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(dir, "a/file"))).toBe(false);
    expect(lstatSync(join(dir, "b/file")).ino).toBe(inode);
  });

  it("passes --no-copy where mv knows it", () => {
    const dir = join(work, "no-copy");
    const bin = join(work, "bin");
    mkdirSync(bin, { recursive: true });
    const log = join(work, "mv-args");
    writeFileSync(
      join(bin, "mv"),
      [
        "#!/bin/bash",
        'if [[ ${1-} == --help ]]; then echo "  --no-copy  do not copy if renaming fails"; exit 0; fi',
        `printf '%s\\n' "$*" >> ${JSON.stringify(log)}`,
        'args=(); for a in "$@"; do [[ $a == --no-copy ]] || args+=("$a"); done',
        'exec /bin/mv "${args[@]}"',
        "",
      ].join("\n"),
    );
    chmodSync(join(bin, "mv"), 0o755);
    const { result, inode } = move(dir, `${bin}:${process.env.PATH ?? ""}`);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("+ mv --no-copy -T --");
    expect(readFileSync(log, "utf8")).toMatch(
      /^--no-copy -T -- .*\/a\/file .*\/b\/file$/m,
    );
    expect(lstatSync(join(dir, "b/file")).ino).toBe(inode);
  });
});
