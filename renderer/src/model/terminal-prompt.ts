// Whether the run's terminal is waiting for the user, read from the end of
// its output: the step script's typed confirmation ("Type /dev/sda to go
// ahead, or anything else to stop: ") and yes/no consent, its password
// prompts, and cryptsetup's passphrase prompts. The Run screen says so
// outside the terminal too, so nobody waits for a run that waits for them.
// Only these known prompts count: a half-written line of a build is not one.

export interface TerminalPrompt {
  /** What to type, when the prompt names it (a device path, "yes"). */
  answer: string | null;
  /** One sentence: what the terminal waits for and what to do. */
  text: string;
}

// CSI (colours, cursor moves), OSC (titles, Tabula's own markers) and other
// two-character escapes: none of them is text the user reads.
const ESCAPES =
  // eslint-disable-next-line no-control-regex -- removing them is the point
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** The output as a person reads it: escapes removed, carriage returns as line ends. */
export function plainOutput(output: string): string {
  return output.replace(ESCAPES, "").replace(/\r\n?/g, "\n");
}

/** The prompt the output ends with, or null when it ends otherwise. */
export function promptAtEnd(output: string): TerminalPrompt | null {
  const text = plainOutput(output);
  const cut = text.lastIndexOf("\n");
  const last = text.slice(cut + 1);
  const before = text.slice(0, Math.max(0, cut));
  const previous = before.slice(before.lastIndexOf("\n") + 1);

  // tabula_confirm: the answer is on the line before the last.
  if (/^\s*or anything else to stop: $/.test(last)) {
    // "Type /dev/disk/by-uuid/... (or /dev/sda2) to go ahead": a udev link
    // and the kernel name it points to, either accepted; the short one is
    // the one to offer.
    const m = /Type (.+?)(?: \(or (\/dev\/\S+)\))? to go ahead/.exec(previous);
    if (m) {
      const answer = m[2] ?? m[1]!;
      const also = m[2]
        ? ` (the device ${m[1]!} names now; typing that works too)`
        : "";
      return {
        answer,
        text: `The terminal is waiting for you: type ${answer}${also} and press Enter to go ahead, or type anything else to stop before this step changes anything.`,
      };
    }
  }
  // tabula_consent.
  if (/Type yes to go ahead: $/.test(last))
    return {
      answer: "yes",
      text: "The terminal is waiting for you: read the change above it, then type yes and press Enter to go ahead, or anything else to stop.",
    };
  // cryptsetup luksFormat --verify-passphrase, cryptsetup open.
  if (/^(Enter|Verify) passphrase\b.*: $/.test(last))
    return {
      answer: null,
      text: "The terminal is waiting for you: type the disk's passphrase and press Enter (nothing is shown as you type). Tabula never sees it.",
    };
  // The step script's password prompts (tabula_set_password and the like).
  if (/^\s*(New password for \S+|Same password again): $/.test(last))
    return {
      answer: null,
      text: "The terminal is waiting for you: type the password and press Enter (nothing is shown as you type).",
    };
  return null;
}
