// What the scanner (electron/backend/scan) reports: state under a root that
// would be lost at the next reboot of a stateless system.

export interface ScanSuggestion {
  /** Why this path is usually worth keeping. */
  reason: string;
  /** The catalog preset that lists it, if any. */
  preset: string | null;
}

export interface ScanEntry {
  /** Absolute, as seen on the live system (not prefixed with the scanned root). */
  path: string;
  kind: "dir" | "file" | "symlink" | "other";
  bytes: number;
  files: number;
  /** ISO time of the newest change inside. */
  newest: string;
  suggestion: ScanSuggestion | null;
}

export interface ScanResult {
  root: string;
  entries: ScanEntry[];
  /** Contents of /tmp, listed apart: scratch that is expected to go. */
  scratch: ScanEntry[];
  /** Paths that could not be read, with why. */
  errors: { path: string; message: string }[];
}
