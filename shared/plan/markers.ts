// The markers the step script prints for the runner. Both sides live here so
// they cannot drift apart; docs/step-script.md documents the format.
//
//   progress:  ESC ] 9 ; 4 ; <state> ; <percent> BEL   (ConEmu's OSC 9;4; also
//              read by Windows Terminal, Ghostty, WezTerm, Konsole, xterm.js'
//              progress addon). state 0 clear, 1 normal, 2 error,
//              3 indeterminate, 4 paused.
//   steps:     ESC ] 7707 ; tabula ; <event> ; <field>... BEL
//              a private OSC number: terminals ignore unknown OSCs, so the
//              markers are invisible to the user. Events:
//                phase-start ; <phase> ; <step count>
//                step-start  ; <step id>
//                step-end    ; <step id> ; done|skipped|failed
//                phase-end   ; <phase> ; ok|failed|cancelled
//                dry-stop    ; <step id>   (a dry run found that the real
//                              run would stop in this step; the terminal
//                              says why)
//                why         ; <reason> ; <text as UTF-8 bytes in hex>
//                              (the run is stopping: refused, stopped,
//                              failed, missing-tool or not-confirmed; the
//                              text is the sentence the terminal shows, so
//                              the summary can say it too)
//              Fields are [A-Za-z0-9._-] only (ids, names), so no escaping;
//              the one free text travels as hex.

import { utf8Bytes, utf8Decode } from "../utf8";

export const OSC_PRIVATE = 7707;
const ESC = "\u001b";
const BEL = "\u0007";

export type ProgressState = 0 | 1 | 2 | 3 | 4;

/** Why a run stops, as the step script says it (docs/step-script.md, "Exit status"). */
export type StopReason =
  "refused" | "stopped" | "failed" | "missing-tool" | "not-confirmed";

const STOP_REASONS: readonly StopReason[] = [
  "refused",
  "stopped",
  "failed",
  "missing-tool",
  "not-confirmed",
];

/**
 * The longest text a why marker carries, in bytes: as hex it stays well
 * under the output filter's OSC limit (MAX_OSC_CHARS, 4096), past which an
 * OSC is shown as text. The step script cuts longer sentences there.
 */
export const WHY_MAX_BYTES = 1800;

/** What the step script prints around `<reason>;<hex>` (tabula_why in steps-lib/00-core.sh). */
export const WHY_OPEN = `${ESC}]${OSC_PRIVATE};tabula;why;`;
export const WHY_CLOSE = BEL;

export type Marker =
  | { kind: "progress"; state: ProgressState; percent: number }
  | { kind: "phase-start"; phase: string; steps: number }
  | { kind: "step-start"; step: string }
  | { kind: "step-end"; step: string; result: "done" | "skipped" | "failed" }
  | { kind: "phase-end"; phase: string; result: "ok" | "failed" | "cancelled" }
  | { kind: "dry-stop"; step: string }
  | { kind: "why"; reason: StopReason; text: string };

const FIELD = /^[A-Za-z0-9._-]+$/;

function field(value: string): string {
  if (!FIELD.test(value))
    throw new Error(`marker field "${value}" must match ${FIELD}`);
  return value;
}

export function encodeMarker(marker: Marker): string {
  switch (marker.kind) {
    case "progress":
      return `${ESC}]9;4;${marker.state};${Math.max(0, Math.min(100, Math.round(marker.percent)))}${BEL}`;
    case "phase-start":
      return `${ESC}]${OSC_PRIVATE};tabula;phase-start;${field(marker.phase)};${marker.steps}${BEL}`;
    case "step-start":
      return `${ESC}]${OSC_PRIVATE};tabula;step-start;${field(marker.step)}${BEL}`;
    case "step-end":
      return `${ESC}]${OSC_PRIVATE};tabula;step-end;${field(marker.step)};${marker.result}${BEL}`;
    case "phase-end":
      return `${ESC}]${OSC_PRIVATE};tabula;phase-end;${field(marker.phase)};${marker.result}${BEL}`;
    case "dry-stop":
      return `${ESC}]${OSC_PRIVATE};tabula;dry-stop;${field(marker.step)}${BEL}`;
    case "why":
      return `${WHY_OPEN}${marker.reason};${toHex(utf8Bytes(marker.text).slice(0, WHY_MAX_BYTES))}${WHY_CLOSE}`;
  }
}

function toHex(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bytes of an even-length hex string, or null if it is not one. */
function fromHex(hex: string): number[] | null {
  if (hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2)
    out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/** Decodes the body of an OSC sequence (between `ESC ]` and BEL/ST), or null if it is not ours. */
export function decodeOscBody(body: string): Marker | null {
  const parts = body.split(";");
  if (parts[0] === "9" && parts[1] === "4") {
    const state = Number(parts[2]);
    const percent =
      parts[3] === undefined || parts[3] === "" ? 0 : Number(parts[3]);
    if (![0, 1, 2, 3, 4].includes(state) || !Number.isFinite(percent))
      return null;
    return {
      kind: "progress",
      state: state as ProgressState,
      percent: Math.max(0, Math.min(100, percent)),
    };
  }
  if (parts[0] !== String(OSC_PRIVATE) || parts[1] !== "tabula") return null;
  const [, , event, a, b] = parts;
  if (event === "why") {
    const bytes = fromHex(b ?? "");
    return STOP_REASONS.includes(a as StopReason) &&
      bytes !== null &&
      parts.length === 5
      ? { kind: "why", reason: a as StopReason, text: utf8Decode(bytes) }
      : null;
  }
  if (a === undefined || !FIELD.test(a)) return null;
  switch (event) {
    case "phase-start": {
      const steps = Number(b);
      return Number.isInteger(steps) && steps >= 0
        ? { kind: "phase-start", phase: a, steps }
        : null;
    }
    case "step-start":
      return { kind: "step-start", step: a };
    case "dry-stop":
      return { kind: "dry-stop", step: a };
    case "step-end":
      return b === "done" || b === "skipped" || b === "failed"
        ? { kind: "step-end", step: a, result: b }
        : null;
    case "phase-end":
      return b === "ok" || b === "failed" || b === "cancelled"
        ? { kind: "phase-end", phase: a, result: b }
        : null;
    default:
      return null;
  }
}
