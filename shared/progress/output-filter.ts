// A streaming filter between the pty and the terminal on screen. It takes the
// step script's output chunk by chunk, exactly as the pty delivers it, and
// splits it into the text to show and the events the runner needs:
//
//   - OSC 9;4 progress and the private step markers (shared/plan/markers.ts)
//     become events and are removed from the text;
//   - lines `@nix {json}` (Nix's `--log-format internal-json`) become events
//     and are removed; a renderer callback may put readable text in their
//     place (the build log lines they carry, see ./nix-log.ts);
//   - everything else passes through untouched, other OSCs included.
//
// A line starts after LF or CR. On a terminal Nix prefixes its first JSON
// line with "\r ESC[0m ESC[K" (its progress bar clearing the line), so CRs
// and CSI sequences before `@nix ` are held too and dropped with the line.
//
// Chunk boundaries fall anywhere: inside an OSC, inside `@nix `, inside a
// JSON line. The filter holds back only what it cannot decide yet (a line
// start that may become `@nix `, an unfinished escape sequence, an
// unfinished Nix line) and emits the rest at once, so prompts without a
// newline appear immediately. Input is JS strings: node-pty decodes UTF-8
// across chunks itself. Memory is bounded: an OSC longer than MAX_OSC_CHARS
// is given up on (passed through), a line-start prefix longer than
// MAX_PREFIX_CHARS is shown, and a Nix line longer than MAX_NIX_LINE_CHARS
// is dropped from the view (it stays in the full log).
import { decodeOscBody, type Marker } from "../plan/markers";

export type OutputEvent =
  | { kind: "marker"; marker: Marker }
  /** The JSON text of one `@nix` line, without the prefix. */
  | { kind: "nix"; json: string }
  /** A `@nix` line too long to keep; `chars` is how long it was. */
  | { kind: "nix-dropped"; chars: number };

export interface FilterResult {
  /** What the terminal shows. */
  text: string;
  /** In the order they appeared. */
  events: OutputEvent[];
}

export interface OutputFilterOptions {
  /**
   * Turns a `@nix` line's JSON into text shown in its place (terminal lines
   * ending in CR LF), or "" to show nothing. Default: nothing.
   */
  renderNix?: (json: string) => string;
}

export const NIX_PREFIX = "@nix ";
/** Longer OSCs are not ours (ours are well under 200 characters). */
export const MAX_OSC_CHARS = 4096;
/** CRs and CSI sequences held at a line start before they are shown. */
export const MAX_PREFIX_CHARS = 64;
export const MAX_NIX_LINE_CHARS = 1 << 20;

const ESC = "\u001b";
const BEL = "\u0007";

type Mode =
  /** Ordinary text. */
  | "text"
  /** At a line start: `prefix` holds CRs and CSIs, `held` a part of "@nix ". */
  | "line-start"
  /** At a line start, after ESC. */
  | "line-escape"
  /** At a line start, inside a CSI sequence (collected in `prefix`). */
  | "line-csi"
  /** Inside a `@nix` line, collecting its JSON in `held`. */
  | "nix"
  /** Inside a `@nix` line that grew too long, skipping to its end. */
  | "nix-skip"
  /** After ESC in text; `held` is ESC. */
  | "escape"
  /** Inside an OSC; `held` is its raw text from ESC ] on. */
  | "osc"
  /** Inside an OSC, after an ESC that may start the ST terminator. */
  | "osc-escape";

export class OutputFilter {
  private mode: Mode = "line-start";
  private held = "";
  private prefix = "";
  /** Characters of the over-long Nix line being skipped. */
  private skipped = 0;
  /** Whether the current line has shown nothing yet (hidden markers do not count). */
  private atLineStart = true;
  private readonly renderNix: (json: string) => string;

  constructor(options: OutputFilterOptions = {}) {
    this.renderNix = options.renderNix ?? (() => "");
  }

  push(chunk: string): FilterResult {
    const out: string[] = [];
    const events: OutputEvent[] = [];
    // Ordinary text is copied a run at a time, up to the next ESC, LF or CR;
    // the position of each is found once per chunk, not once per character.
    let nextEsc = -1;
    let nextLf = -1;
    let nextCr = -1;

    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as string;
      switch (this.mode) {
        case "text": {
          if (nextEsc < i) nextEsc = indexOrEnd(chunk, ESC, i);
          if (nextLf < i) nextLf = indexOrEnd(chunk, "\n", i);
          if (nextCr < i) nextCr = indexOrEnd(chunk, "\r", i);
          const stop = Math.min(nextEsc, nextLf, nextCr);
          if (stop > i) {
            out.push(chunk.slice(i, stop));
            this.atLineStart = false;
          }
          i = stop;
          if (stop === chunk.length) break;
          if (stop === nextEsc) {
            this.mode = "escape";
            this.held = ESC;
          } else if (stop === nextLf) {
            out.push("\n");
            this.newLine();
          } else {
            this.newLine();
            this.prefix = "\r";
          }
          break;
        }

        case "line-start": {
          if (this.held === "") {
            if (c === "\r" || c === "\n") {
              // Blank lines and CR LF: a new line start each time.
              out.push(this.prefix);
              if (c === "\n") out.push(c);
              this.newLine();
              if (c === "\r") this.prefix = "\r";
              break;
            }
            if (c === ESC) {
              this.mode = "line-escape";
              break;
            }
          }
          const next = this.held + c;
          if (NIX_PREFIX.startsWith(next)) {
            if (next === NIX_PREFIX) {
              // The cosmetic prefix goes with the hidden line.
              this.prefix = "";
              this.held = "";
              this.mode = "nix";
            } else {
              this.held = next;
            }
          } else {
            // Not a Nix line: show what was held, then go on as text.
            if (this.prefix || this.held) this.atLineStart = false;
            out.push(this.prefix, this.held);
            this.prefix = "";
            this.held = "";
            this.mode = "text";
            i--; // look at c again as text
          }
          break;
        }

        case "line-escape":
          if (c === "[") {
            this.prefix += ESC + c;
            this.mode = "line-csi";
          } else if (c === "]") {
            // An OSC at a line start (a marker, say): the line stays at its
            // start if the OSC turns out hidden, so `@nix` may still follow.
            out.push(this.prefix);
            this.prefix = "";
            this.held = ESC + c;
            this.mode = "osc";
          } else {
            out.push(this.prefix, ESC);
            this.prefix = "";
            this.mode = "text";
            this.atLineStart = false;
            i--;
          }
          break;

        case "line-csi":
          if (c >= " " && c <= "?") {
            this.prefix += c; // parameters and intermediates
            if (this.prefix.length > MAX_PREFIX_CHARS) this.showPrefix(out);
          } else if (c >= "@" && c <= "~") {
            this.prefix += c; // the final byte
            this.mode = "line-start";
            if (this.prefix.length > MAX_PREFIX_CHARS) this.showPrefix(out);
          } else {
            this.showPrefix(out);
            i--;
          }
          break;

        case "nix": {
          const nl = chunk.indexOf("\n", i);
          const end = nl < 0 ? chunk.length : nl;
          if (this.held.length + (end - i) > MAX_NIX_LINE_CHARS) {
            this.skipped = this.held.length;
            this.held = "";
            this.mode = "nix-skip";
            i--; // count from here in nix-skip
            break;
          }
          this.held += chunk.slice(i, end);
          i = end - 1;
          if (nl >= 0) {
            i = nl;
            const json = this.held.endsWith("\r")
              ? this.held.slice(0, -1)
              : this.held;
            this.held = "";
            events.push({ kind: "nix", json });
            out.push(this.renderNix(json));
            this.newLine();
          }
          break;
        }

        case "nix-skip": {
          const nl = chunk.indexOf("\n", i);
          const end = nl < 0 ? chunk.length : nl;
          this.skipped += end - i;
          i = end - 1;
          if (nl >= 0) {
            i = nl;
            events.push({
              kind: "nix-dropped",
              chars: NIX_PREFIX.length + this.skipped,
            });
            out.push(
              `[tabula: a Nix log line of ${this.skipped} characters is not shown here; it is in the full log]\r\n`,
            );
            this.skipped = 0;
            this.newLine();
          }
          break;
        }

        case "escape":
          if (c === "]") {
            this.held += c;
            this.mode = "osc";
          } else {
            // Some other escape sequence: not ours, pass it through.
            out.push(this.held);
            this.held = "";
            this.mode = "text";
            this.atLineStart = false;
            i--;
          }
          break;

        case "osc":
          if (c === BEL) {
            this.endOsc(this.held.slice(2), this.held + c, out, events);
          } else if (c === ESC) {
            this.mode = "osc-escape";
          } else {
            this.held += c;
            if (this.held.length > MAX_OSC_CHARS) this.giveUpOsc(out);
          }
          break;

        case "osc-escape":
          if (c === "\\") {
            this.endOsc(this.held.slice(2), this.held + ESC + c, out, events);
          } else {
            // ESC inside an OSC aborts it (ECMA-48); the ESC starts anew.
            this.giveUpOsc(out);
            this.mode = "escape";
            this.held = ESC;
            i--;
          }
          break;
      }
    }
    return { text: out.join(""), events };
  }

  /**
   * End of the stream: whatever was held back is shown as it is (an
   * unfinished OSC or escape, a line start that looked like `@nix`) and an
   * unfinished `@nix` line is passed on as one.
   */
  flush(): FilterResult {
    const events: OutputEvent[] = [];
    let text = "";
    switch (this.mode) {
      case "nix": {
        const json = this.held.endsWith("\r")
          ? this.held.slice(0, -1)
          : this.held;
        events.push({ kind: "nix", json });
        text = this.renderNix(json);
        break;
      }
      case "nix-skip":
        events.push({
          kind: "nix-dropped",
          chars: NIX_PREFIX.length + this.skipped,
        });
        break;
      case "line-escape":
        text = this.prefix + ESC;
        break;
      case "osc-escape":
        text = this.held + ESC;
        break;
      default:
        text = this.prefix + this.held;
    }
    this.newLine();
    return { text, events };
  }

  private newLine(): void {
    this.mode = "line-start";
    this.held = "";
    this.prefix = "";
    this.skipped = 0;
    this.atLineStart = true;
  }

  private showPrefix(out: string[]): void {
    out.push(this.prefix);
    this.prefix = "";
    this.mode = "text";
    this.atLineStart = false;
  }

  private endOsc(
    body: string,
    raw: string,
    out: string[],
    events: OutputEvent[],
  ): void {
    const marker = decodeOscBody(body);
    if (marker) {
      events.push({ kind: "marker", marker });
    } else {
      out.push(raw);
      this.atLineStart = false;
    }
    this.held = "";
    // A hidden marker leaves the line as it was: a `@nix` line may follow.
    this.mode = this.atLineStart ? "line-start" : "text";
  }

  private giveUpOsc(out: string[]): void {
    out.push(this.held);
    this.held = "";
    this.mode = "text";
    this.atLineStart = false;
  }
}

function indexOrEnd(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at < 0 ? text.length : at;
}
