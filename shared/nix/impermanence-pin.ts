// The impermanence revision Tabula pins, and the two ways a configuration
// takes it: a flake input (github:OWNER/REPO/REV, the flake's own nixpkgs
// and home-manager inputs dropped as its README advises: the NixOS module
// needs neither) or, without a flake, builtins.fetchGit of that revision
// (no hash to download first; the revision is on the default branch).
//
// 7b1d382 (2026-01-27) uses lib.modules.importApply, which nixpkgs has from
// 24.11 on; phase prepare refuses an older nixpkgs in a sentence
// (tabula_check_nixpkgs). Checked against this revision: every preset and
// the article design evaluate with it (test/integration/shared/nix/impermanence.test.ts).
export const IMPERMANENCE_REV = "7b1d382faf603b6d264f58627330f9faa5cba149";
export const IMPERMANENCE_GIT = "https://github.com/nix-community/impermanence";
export const IMPERMANENCE_URL = `github:nix-community/impermanence/${IMPERMANENCE_REV}`;
export const IMPERMANENCE_MODULE = "impermanence.nixosModules.impermanence";
/** The first nixpkgs release whose lib has lib.modules.importApply. */
export const IMPERMANENCE_NEEDS_NIXPKGS = "24.11";

/** The flake inputs, as lines inside `inputs = { ... }` (without indentation). */
export const IMPERMANENCE_INPUT_LINES = [
  `impermanence.url = "${IMPERMANENCE_URL}";`,
  'impermanence.inputs.nixpkgs.follows = "";',
  'impermanence.inputs.home-manager.follows = "";',
];
