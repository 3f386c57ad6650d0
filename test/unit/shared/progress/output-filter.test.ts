import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeMarker, type Marker } from "../../../../shared/plan/markers";
import {
  MAX_NIX_LINE_CHARS,
  MAX_OSC_CHARS,
  MAX_PREFIX_CHARS,
  OutputFilter,
  type FilterResult,
  type OutputEvent,
} from "../../../../shared/progress/output-filter";

const ESC = "\u001b";
const BEL = "\u0007";

/** Feeds `chunks` one by one and collects everything, flush included. */
function run(filter: OutputFilter, chunks: string[]): FilterResult {
  let text = "";
  const events: OutputEvent[] = [];
  for (const chunk of [...chunks.map((c) => filter.push(c)), filter.flush()]) {
    text += chunk.text;
    events.push(...chunk.events);
  }
  return { text, events };
}

/** The same input split at every position, and into single characters. */
function splits(input: string): string[][] {
  const all = [[input], [...input].length ? input.split("") : [""]];
  for (let i = 1; i < input.length; i++)
    all.push([input.slice(0, i), input.slice(i)]);
  return all;
}

const renderNix = (json: string) => `[nix ${json}]\r\n`;

describe("OutputFilter", () => {
  it("passes ordinary text through unchanged, colours and UTF-8 included", () => {
    const input = `hello ${ESC}[1mbold${ESC}[0m\r\nnext line: déjà vu ✓ 😀\r\nprompt> `;
    for (const chunks of splits(input))
      expect(run(new OutputFilter(), chunks)).toEqual({
        text: input,
        events: [],
      });
  });

  it("shows a prompt without a newline at once", () => {
    const f = new OutputFilter();
    expect(f.push("Type sda to confirm: ").text).toBe("Type sda to confirm: ");
  });

  it("extracts OSC 9;4 and the step markers, wherever the chunks split", () => {
    const markers: Marker[] = [
      { kind: "phase-start", phase: "install", steps: 2 },
      { kind: "step-start", step: "partition" },
      { kind: "progress", state: 1, percent: 40 },
      { kind: "step-end", step: "partition", result: "done" },
      { kind: "phase-end", phase: "install", result: "ok" },
    ];
    const input = `a${encodeMarker(markers[0]!)}b\r\n${markers
      .slice(1)
      .map(encodeMarker)
      .join("x")}\r\n`;
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter(), chunks);
      expect(result.text).toBe("ab\r\nxxx\r\n");
      expect(result.events).toEqual(
        markers.map((marker) => ({ kind: "marker", marker })),
      );
    }
  });

  it("accepts ST as well as BEL to end a marker", () => {
    const input = `${ESC}]9;4;1;75${ESC}\\done`;
    for (const chunks of splits(input))
      expect(run(new OutputFilter(), chunks)).toEqual({
        text: "done",
        events: [
          {
            kind: "marker",
            marker: { kind: "progress", state: 1, percent: 75 },
          },
        ],
      });
  });

  it("passes other OSCs through: titles, hyperlinks, malformed markers", () => {
    const others = [
      `${ESC}]0;my title${BEL}`,
      `${ESC}]8;;https://nixos.org${ESC}\\link${ESC}]8;;${ESC}\\`,
      `${ESC}]7707;tabula;step-end;a b;done${BEL}`, // bad id
      `${ESC}]9;4;7;50${BEL}`, // bad state
      `${ESC}]7707;other;step-start;x${BEL}`,
    ];
    for (const seq of others)
      for (const chunks of splits(`x${seq}y`))
        expect(run(new OutputFilter(), chunks)).toEqual({
          text: `x${seq}y`,
          events: [],
        });
  });

  it("hides @nix lines, CR LF or LF, and puts the rendered text in their place", () => {
    const input =
      'before\r\n@nix {"action":"msg"}\r\nmiddle\n@nix {"b":1}\nafter';
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter({ renderNix }), chunks);
      expect(result.text).toBe(
        'before\r\n[nix {"action":"msg"}]\r\nmiddle\n[nix {"b":1}]\r\nafter',
      );
      expect(result.events).toEqual([
        { kind: "nix", json: '{"action":"msg"}' },
        { kind: "nix", json: '{"b":1}' },
      ]);
    }
  });

  it("hides the line-clearing prefix Nix prints on a terminal with the line", () => {
    // captured from nix-bin 2.8 in a pty: its progress bar clears the line first
    const input = `+ nix build\r\n\r${ESC}[0m${ESC}[K@nix {"a":1}\r\n@nix {"b":2}\r\ndone`;
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter({ renderNix }), chunks);
      expect(result.text).toBe(
        '+ nix build\r\n[nix {"a":1}]\r\n[nix {"b":2}]\r\ndone',
      );
      expect(result.events).toHaveLength(2);
    }
  });

  it("a CR starts a line too, and a held prefix that leads nowhere is shown", () => {
    const input = `building...\r@nix {"c":3}\r\n\r${ESC}[K 50%\r${ESC}[2K${ESC}[1;31m@ni!\r\n`;
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter({ renderNix }), chunks);
      expect(result.text).toBe(
        `building...[nix {"c":3}]\r\n\r${ESC}[K 50%\r${ESC}[2K${ESC}[1;31m@ni!\r\n`,
      );
      expect(result.events).toEqual([{ kind: "nix", json: '{"c":3}' }]);
    }
    const long = `\r${ESC}[${"1;".repeat(MAX_PREFIX_CHARS)}m@nix {}\n`;
    expect(run(new OutputFilter({ renderNix }), [long]).text).toBe(long);
  });

  it("only takes @nix at the start of a line", () => {
    const input = 'say @nix {"a":1}\r\n@ni\r\n@nixos\r\n @nix {}\r\n@nix';
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter({ renderNix }), chunks);
      expect(result.text).toBe(input);
      expect(result.events).toEqual([]);
    }
  });

  it("hides a @nix line that follows a hidden marker on the same line", () => {
    const input = `${encodeMarker({ kind: "step-start", step: "build" })}@nix {"x":2}\r\nok`;
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter({ renderNix }), chunks);
      expect(result.text).toBe('[nix {"x":2}]\r\nok');
      expect(result.events.map((e) => e.kind)).toEqual(["marker", "nix"]);
    }
  });

  it("an ESC inside an OSC aborts it; the ESC starts a new sequence", () => {
    const input = `${ESC}]7707;tabula${ESC}[31mred${encodeMarker({ kind: "step-start", step: "s" })}`;
    for (const chunks of splits(input)) {
      const result = run(new OutputFilter(), chunks);
      expect(result.text).toBe(`${ESC}]7707;tabula${ESC}[31mred`);
      expect(result.events).toEqual([
        { kind: "marker", marker: { kind: "step-start", step: "s" } },
      ]);
    }
  });

  it("gives up on an OSC longer than its limit and shows it", () => {
    const long = `${ESC}]7707;tabula;${"x".repeat(MAX_OSC_CHARS)}${BEL}after`;
    const f = new OutputFilter();
    const result = run(f, [long.slice(0, 1000), long.slice(1000)]);
    expect(result.text).toBe(long);
    expect(result.events).toEqual([]);
    // and the filter still works afterwards
    expect(
      f.push(encodeMarker({ kind: "step-start", step: "a" })).events,
    ).toHaveLength(1);
  });

  it("drops a @nix line over the limit from the view, says so, and goes on", () => {
    const huge = "@nix " + "y".repeat(MAX_NIX_LINE_CHARS + 10);
    const f = new OutputFilter({ renderNix });
    const chunks: string[] = [];
    for (let i = 0; i < huge.length; i += 65536)
      chunks.push(huge.slice(i, i + 65536));
    chunks.push('\r\n@nix {"ok":1}\r\n');
    const result = run(f, chunks);
    expect(result.events[0]).toEqual({
      kind: "nix-dropped",
      chars: huge.length + 1, // the CR before LF is part of the skipped line
    });
    expect(result.events[1]).toEqual({ kind: "nix", json: '{"ok":1}' });
    expect(result.text).toMatch(
      /^\[tabula: a Nix log line of \d+ characters is not shown here; it is in the full log\]\r\n\[nix \{"ok":1\}\]\r\n$/,
    );
  });

  it("flush shows what was held back and ends an unfinished @nix line", () => {
    expect(run(new OutputFilter(), ["@ni"]).text).toBe("@ni");
    expect(run(new OutputFilter(), [`x${ESC}`]).text).toBe(`x${ESC}`);
    expect(run(new OutputFilter(), [`${ESC}]0;ti`]).text).toBe(`${ESC}]0;ti`);
    expect(run(new OutputFilter(), [`${ESC}]0;ti${ESC}`]).text).toBe(
      `${ESC}]0;ti${ESC}`,
    );
    expect(run(new OutputFilter({ renderNix }), ['@nix {"a":1}'])).toEqual({
      text: '[nix {"a":1}]\r\n',
      events: [{ kind: "nix", json: '{"a":1}' }],
    });
  });

  // A model of the stream: pieces whose visible text and events are known.
  type Piece = { raw: string; text: string; events: OutputEvent[] };
  const id = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
  const plain = fc
    .array(
      fc.constantFrom(
        "a",
        "Z",
        " ",
        "\n",
        "\r",
        "\t",
        "é",
        "✓",
        "😀",
        "n",
        "i",
        "x",
        `${ESC}[0m`,
      ),
      { maxLength: 30 },
    )
    .map((cs): Piece => {
      const raw = cs.join("");
      return { raw, text: raw, events: [] };
    });
  const marker = fc
    .oneof(
      id.map((step): Marker => ({ kind: "step-start", step })),
      fc
        .tuple(id, fc.constantFrom("done", "skipped", "failed" as const))
        .map(([step, result]): Marker => ({ kind: "step-end", step, result })),
      fc
        .tuple(
          fc.constantFrom(0, 1, 2, 3, 4 as const),
          fc.integer({ min: 0, max: 100 }),
        )
        .map(([state, percent]): Marker => ({
          kind: "progress",
          state,
          percent,
        })),
    )
    .map((m): Piece => ({
      raw: encodeMarker(m),
      text: "",
      events: [{ kind: "marker", marker: m }],
    }));
  const nixLine = fc
    .record({
      action: fc.constantFrom("msg", "start", "result"),
      s: fc.string(),
    })
    .map((o): Piece => {
      const json = JSON.stringify(o);
      return {
        raw: `\n@nix ${json}\r\n`,
        text: `\n${renderNix(json)}`,
        events: [{ kind: "nix", json }],
      };
    });
  const title = fc.stringMatching(/^[a-z ]{0,20}$/).map((t): Piece => {
    const raw = `${ESC}]2;${t}${BEL}`;
    return { raw, text: raw, events: [] };
  });

  it("splits any stream the same way wherever the chunks fall (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(plain, marker, nixLine, title), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (pieces, cuts) => {
          const raw = pieces.map((p) => p.raw).join("");
          const points = [
            ...new Set(cuts.map((c) => c % (raw.length + 1))),
          ].sort((a, b) => a - b);
          const chunks: string[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(raw.slice(last, p));
            last = p;
          }
          chunks.push(raw.slice(last));
          const result = run(new OutputFilter({ renderNix }), chunks);
          expect(result.text).toBe(pieces.map((p) => p.text).join(""));
          expect(result.events).toEqual(pieces.flatMap((p) => p.events));
        },
      ),
      { numRuns: 500 },
    );
  });
});
