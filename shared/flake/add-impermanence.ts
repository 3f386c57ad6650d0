// Proposes the change to a user's flake.nix that a conversion needs: the
// impermanence input, the argument in `outputs`, and two modules in the
// host's nixosConfigurations entry. It edits lines of the usual shapes only
// and refuses anything else with the reason, so the user can make the change
// by hand following flake-changes.md. Tabula never writes the user's file
// itself without showing this change first.
import { IMPERMANENCE_INPUT_LINES } from "../nix/impermanence-pin";

export type FlakeEdit =
  { ok: true; text: string } | { ok: false; reason: string };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function indentOf(line: string): string {
  return /^\s*/.exec(line)![0];
}

/** Indentation for a line inserted after `index`: that of the next non-blank line, or one level deeper. */
function innerIndent(lines: string[], index: number): string {
  for (let i = index + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    if (/^\s*[}\]]/.test(line)) break;
    return indentOf(line);
  }
  return `${indentOf(lines[index]!)}  `;
}

export function addImpermanence(flake: string, attr: string): FlakeEdit {
  if (/\bimpermanence\b/.test(flake))
    return {
      ok: false,
      reason:
        "it already mentions impermanence, so Tabula leaves it to you to check the three changes below",
    };
  const lines = flake.split("\n");

  // 1. The input, pinned (with its development inputs dropped).
  const inputLines = IMPERMANENCE_INPUT_LINES;
  let at = lines.findIndex((l) => /^\s*inputs\s*=\s*\{\s*$/.test(l));
  if (at >= 0) {
    const indent = innerIndent(lines, at);
    lines.splice(at + 1, 0, ...inputLines.map((l) => `${indent}${l}`));
  } else if (
    (at = lines.findIndex((l) => /^\s*inputs\s*=\s*\{.*\}\s*;\s*$/.test(l))) >=
    0
  ) {
    lines[at] = lines[at]!.replace(
      /\s*\}\s*;\s*$/,
      ` ${inputLines.join(" ")} };`,
    );
  } else {
    at = lines.findIndex((l) => /^\s*inputs\.nixpkgs\.url\s*=.*;\s*$/.test(l));
    if (at < 0)
      return {
        ok: false,
        reason:
          'no "inputs = {" block or "inputs.nixpkgs.url = ...;" line was found to add the impermanence input to',
      };
    const indent = indentOf(lines[at]!);
    lines.splice(at + 1, 0, ...inputLines.map((l) => `${indent}inputs.${l}`));
  }

  // 2. The outputs argument.
  let moduleRef = "impermanence.nixosModules.impermanence";
  const outAt = lines.findIndex((l) => /^\s*outputs\s*=/.test(l));
  if (outAt < 0) return { ok: false, reason: 'no "outputs =" line was found' };
  const formalsAt = /^\s*outputs\s*=\s*$/.test(lines[outAt]!)
    ? outAt + 1
    : outAt;
  const head = lines[formalsAt] ?? "";
  const oneLine = /\{([^{}]*)\}(@\w+)?\s*:/.exec(head);
  const named = /^\s*(?:outputs\s*=\s*)?([A-Za-z_][\w'-]*)\s*:/.exec(head);
  if (oneLine) {
    const inner = oneLine[1]!;
    const names = inner
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const rest = names.filter((n) => n !== "...");
    const updated = [
      ...rest,
      "impermanence",
      ...(names.includes("...") ? ["..."] : []),
    ];
    lines[formalsAt] = head.replace(`{${inner}}`, `{ ${updated.join(", ")} }`);
  } else if (/^\s*(?:outputs\s*=\s*)?(\w+@)?\{\s*$/.test(head)) {
    // One formal per line, up to the line that closes the set.
    let close = formalsAt + 1;
    while (close < lines.length && !/^\s*\}(@\w+)?\s*:/.test(lines[close]!))
      close++;
    if (close >= lines.length)
      return {
        ok: false,
        reason: "the arguments of outputs could not be read",
      };
    const ellipsis = lines
      .slice(formalsAt + 1, close)
      .findIndex((l) => /^\s*\.\.\.\s*,?\s*$/.test(l));
    const insertAt = ellipsis >= 0 ? formalsAt + 1 + ellipsis : close;
    const prev = insertAt - 1;
    if (prev > formalsAt && !/,\s*$/.test(lines[prev]!))
      lines[prev] = `${lines[prev]},`;
    const indent =
      insertAt < close ? indentOf(lines[insertAt]!) : `${indentOf(head)}  `;
    lines.splice(insertAt, 0, `${indent}impermanence,`);
  } else if (named) {
    // outputs = inputs: ...; the input is reached through that name.
    moduleRef = `${named[1]}.impermanence.nixosModules.impermanence`;
  } else
    return {
      ok: false,
      reason: "the arguments of outputs have an unusual shape",
    };

  // 3. The modules of the host.
  const a = escapeRe(attr);
  const hostRe = new RegExp(
    `(nixosConfigurations\\.("?)${a}\\2\\s*=)|^\\s*("?)${a}\\3\\s*=`,
  );
  const inBlock = lines.findIndex((l) =>
    /nixosConfigurations\s*=\s*\{/.test(l),
  );
  const hostAt = lines.findIndex(
    (l, i) =>
      hostRe.test(l) &&
      (/nixosConfigurations\./.test(l) || (inBlock >= 0 && i > inBlock)),
  );
  if (hostAt < 0)
    return {
      ok: false,
      reason: `no nixosConfigurations entry named "${attr}" was found`,
    };
  const modAt = lines.findIndex(
    (l, i) => i >= hostAt && /\bmodules\s*=\s*\[/.test(l),
  );
  if (modAt < 0)
    return {
      ok: false,
      reason: `the entry "${attr}" has no "modules = [" list`,
    };
  for (let i = hostAt + 1; i < modAt; i++)
    if (
      /nixosConfigurations/.test(lines[i]!) ||
      (/nixosSystem/.test(lines[i]!) &&
        !(i === hostAt + 1 && /=\s*$/.test(lines[hostAt]!)))
    )
      return {
        ok: false,
        reason: `the first "modules = [" after "${attr}" seems to belong to another system`,
      };
  const modLine = lines[modAt]!;
  const added = [moduleRef, "./nixos"];
  if (/\[\s*$/.test(modLine)) {
    const indent = innerIndent(lines, modAt);
    lines.splice(modAt + 1, 0, ...added.map((m) => `${indent}${m}`));
  } else if (/\[[^\]]*\]/.test(modLine)) {
    lines[modAt] = modLine.replace(/\[\s*/, `[ ${added.join(" ")} `);
  } else
    return {
      ok: false,
      reason: `the modules list of "${attr}" has an unusual shape`,
    };

  return { ok: true, text: lines.join("\n") };
}
