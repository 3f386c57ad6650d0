import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MAX_ACTIVITIES,
  NixLogReader,
  storePathName,
} from "../../../../shared/progress/nix-log";
import { OutputFilter } from "../../../../shared/progress/output-filter";
import type { BuildProgress } from "../../../../shared/progress/types";

// Real logs of nix-bin 2.8 builds, captured by test/fixtures/nix-logs/capture.sh.
const fixtures = resolve(import.meta.dirname, "../../../fixtures/nix-logs");
const fixture = (name: string) =>
  readFileSync(resolve(fixtures, `${name}.log`), "utf8");

interface Replay {
  reader: NixLogReader;
  /** What the terminal showed. */
  text: string;
  /** Progress after every chunk. */
  snapshots: BuildProgress[];
}

/**
 * Plays a log as a pty would deliver it (CR LF line ends) in chunks of
 * `size` characters through the output filter into a reader.
 */
function replay(log: string, size: number): Replay {
  const reader = new NixLogReader();
  const filter = new OutputFilter({ renderNix: (json) => reader.line(json) });
  const raw = log.replace(/\n/g, "\r\n");
  let text = "";
  const snapshots: BuildProgress[] = [];
  for (let i = 0; i < raw.length; i += size) {
    text += filter.push(raw.slice(i, i + size)).text;
    snapshots.push(reader.progress());
  }
  text += filter.flush().text;
  return { reader, text, snapshots };
}

const CHUNK_SIZES = [1, 7, 100, 4096, 1 << 20];

describe("NixLogReader on real nix-bin logs", () => {
  it("a successful build: all builds done, names and phases seen, log lines shown, JSON hidden", () => {
    for (const size of CHUNK_SIZES) {
      const { reader, text, snapshots } = replay(fixture("success"), size);
      const end = reader.progress();
      expect(end).toMatchObject({
        buildsDone: 4,
        buildsExpected: 4,
        buildsFailed: 0,
        running: [],
        phases: {},
      });
      expect(text).not.toContain("@nix");
      expect(text).not.toContain('"action"');
      expect(text).toContain("tabula-left-1.0> unpacking left\r\n");
      expect(text).toContain("tabula-right-2.0> building right\r\n");
      // colour kept, UTF-8 intact, stderr lines too
      expect(text).toContain(
        "tabula-left-1.0> \u001b[32mcompiling\u001b[0m left: déjà vu ✓",
      );
      expect(text).toContain("tabula-left-1.0> a warning on stderr\r\n");
      expect(text).toMatch(/building '\/tmp\/[^']*-tabula-top\.drv'\.\.\.\r\n/);
      // -v's chatter ("evaluating file") stays hidden
      expect(text).not.toContain("evaluating file");
      expect(reader.errors).toEqual([]);
      expect(reader.malformed).toBe(0);
      if (size === 1) {
        const running = new Set(snapshots.flatMap((s) => s.running));
        expect([...running].sort()).toEqual([
          "tabula-left-1.0",
          "tabula-payload",
          "tabula-right-2.0",
          "tabula-top",
        ]);
        // two at a time (--max-jobs 2)
        expect(Math.max(...snapshots.map((s) => s.running.length))).toBe(2);
        const phases = snapshots.flatMap((s) => Object.entries(s.phases));
        expect(phases).toContainEqual(["tabula-left-1.0", "unpackPhase"]);
        expect(phases).toContainEqual(["tabula-left-1.0", "buildPhase"]);
        expect(phases).toContainEqual(["tabula-top", "installPhase"]);
        // progress never goes backwards and never claims more than expected
        for (let i = 1; i < snapshots.length; i++)
          expect(snapshots[i]!.buildsDone).toBeGreaterThanOrEqual(
            snapshots[i - 1]!.buildsDone,
          );
        for (const s of snapshots)
          expect(s.buildsDone).toBeLessThanOrEqual(s.buildsExpected);
      }
    }
  });

  it("a build with nothing to do", () => {
    const { reader, text } = replay(fixture("noop"), 4096);
    expect(reader.seen).toBe(true);
    expect(reader.progress()).toMatchObject({
      buildsDone: 0,
      buildsExpected: 0,
      running: [],
    });
    expect(text).toBe("");
  });

  it("substitution from a binary cache: paths and bytes copied", () => {
    const { reader, text, snapshots } = replay(fixture("substitute"), 100);
    const end = reader.progress();
    expect(end).toMatchObject({
      buildsDone: 0,
      buildsExpected: 0,
      downloadsDone: 4,
      downloadsExpected: 4,
    });
    expect(end.bytesDone).toBeGreaterThan(2_990_000);
    expect(end.bytesDone).toBe(end.bytesExpected);
    // Nix announced the total before the copies finished
    const middle = snapshots.find(
      (s) => s.bytesDone > 0 && s.bytesDone < s.bytesExpected,
    );
    expect(middle?.bytesExpected).toBeGreaterThanOrEqual(3_000_000);
    expect(
      text.match(
        /^copying path '.*' from 'http:\/\/127\.0\.0\.1:\d+'\.\.\.\r$/gm,
      ),
    ).toHaveLength(4);
    expect(text).not.toContain("querying info");
  });

  it("a failing build: failed count, the builder's output and Nix's error shown", () => {
    for (const size of CHUNK_SIZES) {
      const { reader, text } = replay(fixture("failure"), size);
      expect(reader.progress()).toMatchObject({
        buildsDone: 0,
        buildsFailed: 1,
        running: [],
      });
      expect(text).toContain(
        "tabula-broken> error: test suite failed: 2 of 7 tests\r\n",
      );
      expect(text).toMatch(
        /error:.*builder for '.*tabula-broken\.drv.*' failed with exit code 3/,
      );
      expect(reader.errors).toHaveLength(2);
      expect(reader.errors[0]).toMatch(
        /^error: builder for '\/tmp\/.*-tabula-broken\.drv' failed with exit code 3$/,
      );
    }
  });

  it("a failing build with --keep-going still counts the build that finished", () => {
    const { reader, text } = replay(fixture("failure-keep-going"), 333);
    expect(reader.progress()).toMatchObject({
      buildsDone: 1,
      buildsExpected: 1,
      buildsFailed: 1,
    });
    expect(text).toContain("tabula-fine> fine is fine\r\n");
  });

  it("adds up several Nix commands run one after the other", () => {
    const { reader } = replay(
      fixture("success") +
        fixture("failure-keep-going") +
        fixture("substitute"),
      4096,
    );
    expect(reader.progress()).toMatchObject({
      buildsDone: 5,
      buildsExpected: 5,
      buildsFailed: 1,
      downloadsDone: 4,
    });
  });
});

describe("NixLogReader on hostile and malformed input", () => {
  const start = (id: number | string, type: number, extra = "") =>
    `{"action":"start","id":${id},"level":3,"type":${type},"text":""${extra}}`;

  it("skips unknown actions and types, never throws", () => {
    const r = new NixLogReader();
    const lines = [
      '{"action":"flagrant","id":1}',
      start(1, 999),
      '{"action":"result","id":1,"type":999,"fields":[1,2]}',
      '{"action":"result","id":42,"type":105,"fields":[1,2,0,0]}', // unknown id
      '{"action":"stop","id":77}',
      '{"action":"stop"}',
      '{"action":"start","type":105}', // no id
      '{"action":"msg"}', // no text
      start(2, 104),
      '{"action":"result","id":2,"type":105,"fields":["a",-1,null]}',
      '{"action":"result","id":2,"type":105,"fields":[1e400,2,0,0]}',
      '{"action":"result","id":2,"type":105}',
      '{"action":"result","id":2,"type":106,"fields":[105]}',
      '{"action":"result","id":2,"type":101,"fields":[{"x":1}]}',
      '{"action":"result","id":2,"type":104,"fields":[]}',
    ];
    let shown = "";
    for (const line of lines) shown += r.line(line);
    expect(shown).toBe("");
    expect(r.malformed).toBe(0);
    expect(r.progress()).toMatchObject({
      buildsDone: 0,
      buildsExpected: 0,
      running: [],
    });
  });

  it("shows a line that is not JSON (or not an event) as it came, made safe", () => {
    const r = new NixLogReader();
    expect(r.line("{not json")).toBe("@nix {not json\r\n");
    expect(r.line("[1,2]")).toBe("@nix [1,2]\r\n");
    expect(r.line("null")).toBe("@nix null\r\n");
    expect(r.line('"\\u001b]52;c;eA==\\u0007"')).toBe(
      '@nix "\\u001b]52;c;eA==\\u0007"\r\n',
    );
    expect(r.line("\u001b]52;c;eA==\u0007x")).toBe("@nix x\r\n");
    expect(r.malformed).toBe(5);
    expect(r.seen).toBe(false);
  });

  it("strips terminal control from log lines and messages", () => {
    const r = new NixLogReader();
    r.line(
      start(
        5,
        105,
        ',"fields":["/nix/store/00000000000000000000000000000000-evil.drv"]',
      ),
    );
    expect(
      r.line(
        '{"action":"result","id":5,"type":101,"fields":["a\\u001b]52;c;aGk=\\u0007b\\u001b[2Jc\\rd"]}',
      ),
    ).toBe("evil> abcd\r\n");
    expect(
      r.line('{"action":"msg","level":0,"msg":"error: one\\ntwo\\u001bc"}'),
    ).toBe("error: one\r\ntwo\r\n");
  });

  it("keeps ids beyond 2^53 apart (Nix ids are pid << 32 plus a counter)", () => {
    const r = new NixLogReader();
    const a = "18014398509481985"; // 2^54 + 1: a double would round it to 2^54
    const b = "18014398509481984";
    r.line(
      start(
        a,
        105,
        ',"fields":["/s/00000000000000000000000000000000-first.drv"]',
      ),
    );
    r.line(
      start(
        b,
        105,
        ',"fields":["/s/00000000000000000000000000000000-second.drv"]',
      ),
    );
    expect(r.progress().running).toEqual(["first", "second"]);
    r.line(`{"action":"stop","id":${a}}`);
    expect(r.progress().running).toEqual(["second"]);
  });

  it("messages above the chosen verbosity are hidden; errors are always shown", () => {
    const r = new NixLogReader();
    expect(r.line('{"action":"msg","level":4,"msg":"evaluating"}')).toBe("");
    expect(r.line('{"action":"msg","level":1,"msg":"warning: x"}')).toBe(
      "warning: x\r\n",
    );
    expect(r.line('{"action":"msg","level":0,"msg":"error: y"}')).toBe(
      "error: y\r\n",
    );
    const chatty = new NixLogReader({ verbosity: 4 });
    expect(chatty.line('{"action":"msg","level":4,"msg":"evaluating"}')).toBe(
      "evaluating\r\n",
    );
  });

  it("SetExpected replaces its earlier announcement and is withdrawn at stop", () => {
    const r = new NixLogReader();
    r.line(start(1, 102));
    r.line('{"action":"result","id":1,"type":106,"fields":[103,10]}');
    r.line('{"action":"result","id":1,"type":106,"fields":[103,4]}');
    expect(r.progress().downloadsExpected).toBe(4);
    r.line('{"action":"stop","id":1}');
    expect(r.progress().downloadsExpected).toBe(0);
  });

  it("stops tracking new activities beyond its limit", () => {
    const r = new NixLogReader();
    for (let i = 0; i < MAX_ACTIVITIES + 50; i++) r.line(start(i, 105));
    expect(r.progress().running).toHaveLength(MAX_ACTIVITIES);
  });

  it("keeps each distinct error once", () => {
    const r = new NixLogReader();
    for (let i = 0; i < 3; i++)
      r.line(
        '{"action":"msg","level":0,"msg":"\\u001b[31;1merror:\\u001b[0m same"}',
      );
    expect(r.errors).toEqual(["error: same"]);
  });
});

describe("storePathName", () => {
  it("drops the store directory, the hash and .drv", () => {
    expect(
      storePathName(
        "/nix/store/z4fn01xvnqyy53qslbks7nz6ij1rahpn-hello-2.12.drv",
      ),
    ).toBe("hello-2.12");
    expect(
      storePathName("/tmp/s/store/z4fn01xvnqyy53qslbks7nz6ij1rahpn-x"),
    ).toBe("x");
    expect(storePathName("plain")).toBe("plain");
  });
});
