// A unified diff of two texts, line by line (Myers' O(ND) algorithm), in the
// format `patch -p1` and `git apply` read. Used to show the change Tabula
// proposes to a user's flake.nix before anything touches it.

type Op = { kind: "same" | "del" | "add"; line: string };

interface Lines {
  lines: string[];
  /** False when the text does not end with a newline. */
  finalNewline: boolean;
}

function splitLines(text: string): Lines {
  if (text === "") return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith("\n");
  const lines = (finalNewline ? text.slice(0, -1) : text).split("\n");
  return { lines, finalNewline };
}

/** The shortest edit script from a to b. */
function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
    v = next;
  }
  trace.push(v);
  // Walk back through the saved frontiers.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d > 0; d--) {
    const frontier = trace[d]!;
    const k = x - y;
    const down =
      k === -d ||
      (k !== d && frontier[offset + k - 1]! < frontier[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = frontier[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: "same", line: a[--x]! });
      y--;
    }
    if (down) ops.push({ kind: "add", line: b[--y]! });
    else ops.push({ kind: "del", line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: "same", line: a[--x]! });
    y--;
  }
  while (y > 0) ops.push({ kind: "add", line: b[--y]! });
  while (x > 0) ops.push({ kind: "del", line: a[--x]! });
  return ops.reverse();
}

/**
 * A unified diff with `context` lines around each change, or "" when the
 * texts are equal. Names are written as given (e.g. "a/flake.nix").
 */
export function unifiedDiff(
  before: string,
  after: string,
  names: { from: string; to: string },
  context = 3,
): string {
  if (before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  // A missing final newline is a difference of the last line.
  const aLines = [...a.lines];
  const bLines = [...b.lines];
  const NO_EOL = "\u0000no-eol";
  if (!a.finalNewline && aLines.length) aLines[aLines.length - 1] += NO_EOL;
  if (!b.finalNewline && bLines.length) bLines[bLines.length - 1] += NO_EOL;
  const ops = myers(aLines, bLines);

  const out = [`--- ${names.from}`, `+++ ${names.to}`];
  let i = 0;
  let aLine = 1;
  let bLine = 1;
  // Positions of every op in both files.
  const pos = ops.map((op) => {
    const here = { a: aLine, b: bLine };
    if (op.kind !== "add") aLine++;
    if (op.kind !== "del") bLine++;
    return here;
  });
  while (i < ops.length) {
    if (ops[i]!.kind === "same") {
      i++;
      continue;
    }
    let start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are closer than 2 * context lines.
    for (;;) {
      while (end < ops.length && ops[end]!.kind !== "same") end++;
      let gap = end;
      while (gap < ops.length && ops[gap]!.kind === "same") gap++;
      if (gap < ops.length && gap - end <= 2 * context) end = gap;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== "add").length;
    const bCount = hunk.filter((o) => o.kind !== "del").length;
    const aStart = aCount ? pos[start]!.a : pos[start]!.a - 1;
    const bStart = bCount ? pos[start]!.b : pos[start]!.b - 1;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const op of hunk) {
      const mark = op.kind === "same" ? " " : op.kind === "del" ? "-" : "+";
      if (op.line.endsWith(NO_EOL)) {
        out.push(mark + op.line.slice(0, -NO_EOL.length));
        out.push("\\ No newline at end of file");
      } else out.push(mark + op.line);
    }
    i = end;
    start = end;
  }
  return `${out.join("\n")}\n`;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}
