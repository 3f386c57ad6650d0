/** A file Tabula generates into a plan folder. */
export interface GeneratedFile {
  /** Relative to the plan folder, e.g. "nixos/persistence.nix". */
  path: string;
  content: string;
}
