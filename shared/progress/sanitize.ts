// Text that Tabula itself writes into the terminal on behalf of another
// program (Nix build log lines and messages carried inside JSON) must not be
// able to drive the terminal: a build could otherwise set the window title,
// write the clipboard (OSC 52), fake a progress bar (OSC 9;4) or reset the
// screen. Colours (SGR) are kept because Nix and builders use them.

const ESC = "\u001b";

// One escape sequence, or a lone ESC:
//   CSI:  ESC [ params intermediates final
//   string sequences (OSC, DCS, SOS, PM, APC): ESC ] P X ^ _ ... up to BEL or ST
//   two-character sequences: ESC + any character
const ESCAPE =
  // eslint-disable-next-line no-control-regex -- control characters are what it matches
  /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\s\S])?/g;
// The same with 8-bit (C1) introducers: CSI 0x9b; DCS, SOS, OSC, PM, APC.
const C1_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- control characters are what it matches
  /\u009b[0-?]*[ -/]*[@-~]?|[\u0090\u0098\u009d-\u009f][^\u0007\u009c\u001b]*(?:\u0007|\u009c)?/g;
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const SGR = /^\u001b\[[0-9;:]*m$/;
// C0 controls but TAB and ESC, DEL, and the C1 controls (xterm.js reads
// 0x9b as CSI and 0x9d as OSC).
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROLS = /[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f-\u009f]/g;

/** One line of foreign text made safe to show: colours kept, every other control removed. */
export function sanitizeLine(line: string): string {
  const noEscapes = line.includes(ESC)
    ? line.replace(ESCAPE, (seq) => (SGR.test(seq) ? seq : ""))
    : line;
  return noEscapes.replace(C1_SEQUENCE, "").replace(CONTROLS, "");
}

/**
 * Foreign text, possibly several lines, as terminal lines: each line
 * sanitized and ended with CR LF (xterm.js does not turn LF into CR LF), and
 * colours reset at the end so a line cannot colour what follows.
 */
export function terminalLines(text: string): string {
  let out = "";
  for (const line of text.split(/\r?\n/)) {
    const clean = sanitizeLine(line);
    out += clean.includes(ESC) ? `${clean}${ESC}[0m\r\n` : `${clean}\r\n`;
  }
  return out;
}
