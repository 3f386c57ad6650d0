// Flow control between the pty (backend) and xterm.js (renderer), the scheme
// VS Code uses between node-pty and xterm.js (FlowControlConstants in
// src/vs/platform/terminal/common/terminal.ts). Both sides import these
// numbers from here so they cannot drift apart.
//
//   backend:  counts characters sent to the renderer and not yet acknowledged;
//             pauses the pty above HIGH_WATERMARK_CHARS and resumes it once the
//             count falls below LOW_WATERMARK_CHARS.
//   renderer: counts characters xterm.js has finished parsing (the callback of
//             `xterm.write(data, callback)`) and sends an ack every
//             ACK_SIZE_CHARS (the `terminalAck` API method).
//
// A paused pty stops reading from the child, so the child blocks on write and
// nothing piles up in the backend: memory stays bounded however fast the
// child prints and however slowly the renderer draws.

/** Unacknowledged characters above which the backend pauses the pty. */
export const HIGH_WATERMARK_CHARS = 100_000;

/**
 * Unacknowledged characters below which a paused pty resumes. Well below the
 * high mark so a fast child does not flip the pty between paused and running
 * on every ack.
 */
export const LOW_WATERMARK_CHARS = 5_000;

/**
 * The renderer acknowledges in units of this many characters. It must not
 * exceed LOW_WATERMARK_CHARS: otherwise the last unacknowledged remainder
 * could keep the count above the low mark forever and the pty never resumes.
 */
export const ACK_SIZE_CHARS = 5_000;

/**
 * The renderer's side: feed it the length of every chunk xterm.js finished
 * writing; it returns how many characters to acknowledge now (a multiple of
 * ACK_SIZE_CHARS, or 0).
 */
export class AckBatcher {
  private pending = 0;

  written(chars: number): number {
    if (!Number.isFinite(chars) || chars <= 0) return 0;
    this.pending += chars;
    if (this.pending < ACK_SIZE_CHARS) return 0;
    const ack = this.pending - (this.pending % ACK_SIZE_CHARS);
    this.pending -= ack;
    return ack;
  }

  /** Characters written but not acknowledged yet. */
  get unacknowledged(): number {
    return this.pending;
  }
}

/**
 * The backend's side: counts characters sent and acknowledged and says when
 * the pty must pause or resume. Pure: the caller does the pausing.
 */
export class FlowWindow {
  private unacked = 0;
  private pausedNow = false;

  /** Characters sent and not acknowledged yet. */
  get unacknowledged(): number {
    return this.unacked;
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  /** Call after sending `chars`; returns "pause" when the pty must pause now. */
  sent(chars: number): "pause" | null {
    this.unacked += chars;
    if (!this.pausedNow && this.unacked > HIGH_WATERMARK_CHARS) {
      this.pausedNow = true;
      return "pause";
    }
    return null;
  }

  /**
   * Call with the renderer's ack; returns "resume" when the pty must resume
   * now. Acks for more than was sent (a confused or hostile client) clamp at
   * zero rather than letting the client buy credit in advance.
   */
  acked(chars: number): "resume" | null {
    if (!Number.isFinite(chars) || chars <= 0) return null;
    this.unacked = Math.max(0, this.unacked - chars);
    if (this.pausedNow && this.unacked < LOW_WATERMARK_CHARS) {
      this.pausedNow = false;
      return "resume";
    }
    return null;
  }

  /** Forget all accounting (flow control turned off, or a client reconnects). */
  reset(): "resume" | null {
    this.unacked = 0;
    if (this.pausedNow) {
      this.pausedNow = false;
      return "resume";
    }
    return null;
  }
}
