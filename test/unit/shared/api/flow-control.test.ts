import { describe, expect, it } from "vitest";
import {
  ACK_SIZE_CHARS,
  AckBatcher,
  FlowWindow,
  HIGH_WATERMARK_CHARS,
  LOW_WATERMARK_CHARS,
} from "../../../../shared/api/flow-control";

describe("flow-control constants", () => {
  it("are VS Code's numbers and keep the ack unit within the low mark", () => {
    expect(HIGH_WATERMARK_CHARS).toBe(100_000);
    expect(LOW_WATERMARK_CHARS).toBe(5_000);
    expect(ACK_SIZE_CHARS).toBe(5_000);
    expect(ACK_SIZE_CHARS).toBeLessThanOrEqual(LOW_WATERMARK_CHARS);
  });
});

describe("AckBatcher", () => {
  it("acknowledges only whole units and keeps the remainder", () => {
    const b = new AckBatcher();
    expect(b.written(4_999)).toBe(0);
    expect(b.written(1)).toBe(5_000);
    expect(b.unacknowledged).toBe(0);
    expect(b.written(12_345)).toBe(10_000);
    expect(b.unacknowledged).toBe(2_345);
  });

  it("ignores nonsense lengths", () => {
    const b = new AckBatcher();
    expect(b.written(-10)).toBe(0);
    expect(b.written(Number.NaN)).toBe(0);
    expect(b.unacknowledged).toBe(0);
  });
});

describe("FlowWindow", () => {
  it("pauses above the high mark once and resumes below the low mark", () => {
    const w = new FlowWindow();
    expect(w.sent(HIGH_WATERMARK_CHARS)).toBeNull();
    expect(w.sent(1)).toBe("pause");
    expect(w.sent(50_000)).toBeNull(); // already paused
    expect(w.paused).toBe(true);
    expect(w.acked(140_000)).toBeNull(); // 10 001 left: not below 5 000
    expect(w.acked(5_000)).toBeNull(); // 5 001 left
    expect(w.acked(5_000)).toBe("resume"); // 1 left
    expect(w.paused).toBe(false);
  });

  it("a renderer that acks in units always drains a paused pty", () => {
    const w = new FlowWindow();
    const b = new AckBatcher();
    let paused = false;
    let sent = 0;
    // Send in odd-sized chunks until paused, then let the renderer catch up.
    while (!paused) {
      paused = w.sent(3_333) === "pause";
      sent += 3_333;
    }
    let resumed = false;
    for (let done = 0; done < sent && !resumed; done += 3_333)
      resumed = w.acked(b.written(3_333)) === "resume";
    expect(resumed).toBe(true);
  });

  it("clamps acks for more than was sent and ignores bad acks", () => {
    const w = new FlowWindow();
    w.sent(10);
    w.acked(1_000_000);
    expect(w.unacknowledged).toBe(0);
    expect(w.sent(HIGH_WATERMARK_CHARS + 1)).toBe("pause");
    expect(w.acked(-5)).toBeNull();
    expect(w.acked(Number.POSITIVE_INFINITY)).toBeNull();
    expect(w.unacknowledged).toBe(HIGH_WATERMARK_CHARS + 1);
    expect(w.reset()).toBe("resume");
    expect(w.unacknowledged).toBe(0);
  });
});
