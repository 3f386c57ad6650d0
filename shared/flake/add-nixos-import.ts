// Proposes the change to a configuration.nix without a flake that a
// conversion needs: `./nixos` in its imports (nixos/default.nix then imports
// the pinned impermanence module and the generated modules). It edits the
// shape nixos-generate-config writes (an `imports = [ ... ];` list holding
// ./hardware-configuration.nix) and simple variants, and refuses anything
// else with the reason, so the user can make the change by hand.
export type ConfigEdit =
  { ok: true; text: string } | { ok: false; reason: string };

function indentOf(line: string): string {
  return /^\s*/.exec(line)![0];
}

export function addNixosImport(configuration: string): ConfigEdit {
  const lines = configuration.split("\n");
  if (
    lines.some((l) =>
      /(^|[\s[])\.\/nixos(\/default\.nix)?\s*($|[\s\]])/.test(l),
    )
  )
    return {
      ok: false,
      reason:
        "it already imports ./nixos, so Tabula leaves it to you to check the change below",
    };
  const start = lines.findIndex((l) => /^\s*imports\s*=/.test(l));
  if (start < 0)
    return {
      ok: false,
      reason: 'no "imports =" list was found to add ./nixos to',
    };
  // The list ends at the first line that closes it ("];").
  let end = start;
  while (end < lines.length && !/\]\s*;/.test(lines[end]!)) end++;
  if (end >= lines.length)
    return { ok: false, reason: "the imports list could not be read" };
  const hw = lines.findIndex(
    (l, i) =>
      i >= start && i <= end && /\.\/hardware-configuration\.nix/.test(l),
  );
  if (hw >= 0 && hw !== start && hw !== end) {
    // One import per line, as nixos-generate-config writes it.
    lines.splice(hw + 1, 0, `${indentOf(lines[hw]!)}./nixos`);
  } else if (start === end) {
    // imports = [ ./hardware-configuration.nix ];
    lines[start] = lines[start]!.replace(/\]\s*;/, "./nixos ];").replace(
      /\s*\.\/nixos \];/,
      " ./nixos ];",
    );
  } else if (
    /\[\s*$/.test(lines[start]!) ||
    /^\s*\[\s*/.test(lines[start + 1] ?? "")
  ) {
    const first = lines.findIndex(
      (l, i) =>
        i > start && i < end && l.trim() !== "" && !/^\s*(\[|#)/.test(l),
    );
    if (first < 0)
      return { ok: false, reason: "the imports list has an unusual shape" };
    lines.splice(first + 1, 0, `${indentOf(lines[first]!)}./nixos`);
  } else return { ok: false, reason: "the imports list has an unusual shape" };
  return { ok: true, text: lines.join("\n") };
}
