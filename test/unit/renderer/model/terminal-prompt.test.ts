// The Run screen says when the terminal waits for an answer. The step
// script's own prompts are taken from the real library, run by bash, so a
// change of their words fails here instead of leaving the user waiting.
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STEPS_LIB } from "../../../../shared/plan/steps-lib";
import {
  plainOutput,
  promptAtEnd,
} from "../../../../renderer/src/model/terminal-prompt";
import { describeWith } from "../../../support/needs";

describeWith(["bash"], "the step script's prompts, as bash prints them", () => {
  let dir: string;
  let lib: string;
  beforeAll(() => {
    const tmp = join(import.meta.dirname, "../../../.tmp");
    mkdirSync(tmp, { recursive: true });
    dir = mkdtempSync(join(tmp, "terminal-prompt-"));
    lib = join(dir, "lib.sh");
    writeFileSync(lib, STEPS_LIB);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What the library prints before it reads the answer (stdin closed: it then stops). */
  function printed(call: string): string {
    const r = spawnSync(
      "bash",
      ["-c", `source "$1"; TABULA_STEP_LATER=(); ${call}`, "bash", lib],
      { input: "", encoding: "utf8" },
    );
    expect(r.status).toBe(4); // not confirmed: nothing ran
    return r.stdout;
  }

  it("reads tabula_confirm's device and tabula_consent's yes", () => {
    const header =
      "\u001b]7707;tabula;step-start;wipe\u0007\r\n==> [2/9] Erase\r\n";
    const confirm = promptAtEnd(
      header + printed("tabula_confirm /dev/nvme0n1").replace(/\n/g, "\r\n"),
    );
    expect(confirm?.answer).toBe("/dev/nvme0n1");
    expect(confirm?.text).toMatch(
      /^The terminal is waiting for you: type \/dev\/nvme0n1 and press Enter/,
    );
    // A udev link: its kernel name is offered, and either answer goes ahead.
    const link = join(dir, "by-uuid-0f3c5e1a-93b2-4d7e-9c1f-2b8d6a4e7c10");
    symlinkSync("/dev/null", link);
    const viaLink = promptAtEnd(printed(`tabula_confirm ${link}`));
    expect(viaLink?.answer).toBe("/dev/null");
    expect(viaLink?.text).toContain(
      `type /dev/null (the device ${link} names now; typing that works too)`,
    );
    for (const answer of ["/dev/null", link]) {
      const r = spawnSync(
        "bash",
        [
          "-c",
          `source "$1"; TABULA_STEP_LATER=(); tabula_confirm "$2" && echo confirmed`,
          "bash",
          lib,
          link,
        ],
        { input: `${answer}\n`, encoding: "utf8" },
      );
      expect(r.stdout).toContain("confirmed");
    }
    // Anything else still stops, a name the link does not point to too.
    expect(
      spawnSync(
        "bash",
        [
          "-c",
          `source "$1"; TABULA_STEP_LATER=(); tabula_confirm "$2"`,
          "bash",
          lib,
          link,
        ],
        { input: "/dev/zero\n", encoding: "utf8" },
      ).status,
    ).toBe(4);
    const consent = promptAtEnd(
      printed(
        'tabula_consent "Apply the change above to /etc/nixos/flake.nix?"',
      ),
    );
    expect(consent?.answer).toBe("yes");
  });
});

describe("promptAtEnd", () => {
  it("knows cryptsetup's passphrase prompts and the password prompts", () => {
    expect(
      promptAtEnd("==> Encrypt\r\nEnter passphrase for /dev/nvme0n1p2: ")?.text,
    ).toMatch(/passphrase/);
    expect(promptAtEnd("Verify passphrase: ")?.text).toMatch(/passphrase/);
    expect(promptAtEnd("    New password for mira: ")?.text).toMatch(
      /password/,
    );
  });

  it("is null once answered, and for output that only looks like a question", () => {
    expect(
      promptAtEnd(
        "    Type /dev/sda to go ahead,\r\n    or anything else to stop: /dev/s",
      ),
    ).toBeNull();
    expect(
      promptAtEnd(
        "    Type /dev/sda to go ahead,\r\n    or anything else to stop: /dev/sda\r\n      + wipefs --all /dev/sda\r\n",
      ),
    ).toBeNull();
    expect(promptAtEnd("building '/nix/store/abc-hello.drv': ")).toBeNull();
    expect(promptAtEnd("")).toBeNull();
  });

  it("reads through colours and Tabula's own markers", () => {
    expect(
      plainOutput("\u001b[1;31mRefused:\u001b[0m x\u001b]9;4;1;40\u0007\r\ny"),
    ).toBe("Refused: x\ny");
    expect(
      promptAtEnd(
        "\u001b[33m    Type yes to go ahead: \u001b[0m\u001b]9;4;4;50\u0007",
      )?.answer,
    ).toBe("yes");
  });
});
