/**
 * A {@link Transport} that wraps the real WebSocket transport and records the size of every text
 * frame each way, with its message type and relayed kind: the benchmark's "bytes on the wire".
 */
import type { Connection, Transport } from '../client/ports';

export interface FrameRecord {
  readonly direction: 'out' | 'in';
  /** `send:update`, `relayed:update`, `ping`, … */
  readonly label: string;
  /** Bytes of the frame's UTF-8 text (the WebSocket payload). */
  readonly bytes: number;
}

export class CountingTransport implements Transport {
  readonly frames: FrameRecord[] = [];

  constructor(private readonly inner: Transport) {}

  async connect(url: string, options: { token?: string; protocols: string[] }): Promise<Connection> {
    const connection = await this.inner.connect(url, options);
    const record = (direction: 'out' | 'in', frame: string): void => {
      this.frames.push({ direction, label: labelOf(frame), bytes: Buffer.byteLength(frame, 'utf8') });
    };
    return {
      send: (frame) => {
        record('out', frame);
        connection.send(frame);
      },
      close: (code, reason) => connection.close(code, reason),
      onMessage: (listener) => connection.onMessage((frame) => {
        record('in', frame);
        listener(frame);
      }),
      onClose: (listener) => connection.onClose(listener),
      get bufferedAmount() {
        return connection.bufferedAmount;
      },
    };
  }

  clear(): void {
    this.frames.length = 0;
  }
}

function labelOf(frame: string): string {
  const message = JSON.parse(frame) as { type?: string; kind?: string };
  return message.kind ? `${message.type}:${message.kind}` : String(message.type);
}

/** WebSocket header bytes for a payload of `length` bytes; clients add a 4-byte mask. */
export function webSocketHeaderBytes(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  return base + (masked ? 4 : 0);
}
