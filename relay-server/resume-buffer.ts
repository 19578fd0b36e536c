/**
 * The bounded per-session buffer of relayed non-volatile messages, replayed after a resume.
 * Bounded both in count and in bytes; the oldest entries fall out first. When the buffer no
 * longer reaches back to what a client last saw, the replay says so (`gap`) and the client
 * resyncs in full instead of silently missing edits.
 */
import type { RelayedKind } from '../protocol';

export interface BufferedMessage {
  readonly seq: number;
  readonly kind: RelayedKind;
  readonly from: string;
  readonly to?: string;
  /** The serialised `relayed` frame, exactly as it was fanned out. */
  readonly frame: string;
}

export interface Replay {
  /** True when messages after `lastSeq` have already fallen out of the buffer. */
  readonly gap: boolean;
  readonly messages: readonly BufferedMessage[];
}

export class ResumeBuffer {
  private readonly entries: BufferedMessage[] = [];
  private bytes = 0;
  /** Sequence number of the newest message ever dropped (0: nothing dropped yet). */
  private droppedThrough = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  append(message: BufferedMessage): void {
    this.entries.push(message);
    this.bytes += message.frame.length;
    while (this.entries.length > 0 && (this.entries.length > this.maxMessages || this.bytes > this.maxBytes)) {
      const dropped = this.entries.shift();
      if (!dropped) break;
      this.bytes -= dropped.frame.length;
      this.droppedThrough = dropped.seq;
    }
  }

  /** Every buffered message with a sequence number above `lastSeq`, in order. */
  since(lastSeq: number): Replay {
    return {
      gap: this.droppedThrough > lastSeq,
      messages: this.entries.filter((message) => message.seq > lastSeq),
    };
  }
}
