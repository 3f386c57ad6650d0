// What validation says, as the screens show it: for the designs a person
// makes by walking the screens (a new design of each path, then the usual
// mistakes), every problem, taken from the real validator, reads as a
// sentence of its own with no JSON path or JSON field in it.
import { describe, expect, it } from "vitest";
import type { Design, Mode } from "../../../../shared/design/types";
import { validateDesign } from "../../../../shared/design/validate";
import { newDesign } from "../../../../renderer/src/model/new-design";
import { baseEntries } from "../../../../renderer/src/model/presets";
import { problemText } from "../../../../renderer/src/model/problem-text";
import { convertFacts, installDesign, sampleFacts } from "../support";

function texts(d: Design): string[] {
  return validateDesign(d).problems.map((p) => problemText(p, d.mode));
}

const designs: [string, () => Design][] = [
  ["a new install", () => newDesign("install", sampleFacts(), baseEntries())],
  [
    "a new conversion",
    () => newDesign("convert", convertFacts(), baseEntries()),
  ],
  ["a new recover", () => newDesign("recover", convertFacts(), baseEntries())],
  [
    "an install with the usual mistakes",
    () => {
      const d = installDesign();
      d.hostname = "my laptop";
      d.stateVersion = "latest";
      d.root.size = "lots";
      d.disk!.esp.size = "abc";
      d.users.bob = { isNormalUser: true };
      d.users.mira!.extraGroups = [];
      d.persistence.storage = "persist";
      d.persistence.directories.push("/var/log", "/var/log/nginx", "/tmp/");
      d.persistence.files = [];
      d.persistence.users.mira = { directories: ["~/.ssh", ".ssh"], files: [] };
      return d;
    },
  ],
  [
    "a conversion from the LiveCD before the host is named",
    () => {
      const d = newDesign("convert", convertFacts(), baseEntries());
      d.convert!.flakeAttr = "";
      d.persistence.directories = d.persistence.directories.filter(
        (e) => e !== "/etc/nixos",
      );
      d.users.alice = {};
      return d;
    },
  ],
];

describe("problems as the screens say them", () => {
  for (const [name, make] of designs)
    it(`reads as plain sentences: ${name}`, () => {
      for (const t of texts(make())) {
        // A sentence starts with a capital, a quoted value or a user's name.
        expect(t, t).toMatch(/^(["“/A-Z0-9]|(bob|mira|alice) )/);
        expect(t, t).toMatch(/[.!?]$/);
        expect(t, t).not.toMatch(/\w\[\d+\]/); // persistence.directories[3]
        expect(t, t).not.toMatch(/hashedPassword|"extraGroups"|mkpasswd/);
        expect(t, t).not.toMatch(/^""/);
      }
    });

  it("asks for what an empty field needs", () => {
    const said = texts(newDesign("recover", convertFacts(), baseEntries()));
    expect(said.length).toBeGreaterThan(0);
    for (const t of said) expect(t, t).not.toMatch(/""/);
  });

  it("says what to do on the screen for the problems every install starts with", () => {
    const d = newDesign("install", sampleFacts(), baseEntries());
    d.users.mira = { isNormalUser: true, extraGroups: ["wheel"] };
    const said = texts(d);
    expect(said).toContain(
      "mira has no password yet: type it twice and press Set password (a password set later with passwd would be lost at every reboot).",
    );
    const mode: Mode = "recover";
    expect(
      problemText(
        {
          path: "recover.add",
          message:
            "holds nothing to bring in: add the directories or files to recover",
          severity: "error",
        },
        mode,
      ),
    ).toBe("Nothing is chosen yet: tick at least one path to recover.");
  });

  it("keeps the subject a message leans on, and drops JSON paths", () => {
    expect(
      problemText(
        {
          path: "persistence.files",
          message:
            'does not persist "/etc/machine-id": a new machine id; add it',
          severity: "warning",
        },
        "install",
      ),
    ).toBe(
      'This design does not persist "/etc/machine-id": a new machine id; add it.',
    );
    expect(
      problemText(
        {
          path: "persistence.directories[3]",
          message:
            '"/var/log/nginx" is already persisted through "/var/log" (persistence.directories[2]): listing it again is redundant',
          severity: "warning",
        },
        "install",
      ),
    ).toBe(
      '"/var/log/nginx" is already persisted through "/var/log": listing it again is redundant.',
    );
  });
});
