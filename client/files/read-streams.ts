/**
 * Streams files to guests in chunks, a few ahead of the reader's acknowledgements, so a large
 * file neither sits whole in memory nor floods the relay (whose per-connection limits would
 * otherwise close a host that sends 50 MB at once). A stream whose reader goes quiet is dropped.
 */
import { constants, promises as fs } from 'node:fs';
import { encodePayload } from '../../protocol';
import { FILE_CHUNK_BYTES, READ_WINDOW_CHUNKS } from '../../protocol/file-payloads';
import type { FileSessionClient } from './remote-files';
import type { Clock, Logger, TimerHandle } from '../ports';

const MAX_STREAMS_PER_READER = 8;
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

interface Stream {
  readonly reader: string;
  readonly id: string;
  readonly handle: fs.FileHandle;
  readonly size: number;
  readonly chunks: number;
  nextIndex: number;
  acknowledged: number;
  pumping: boolean;
  idle: TimerHandle;
}

export class ReadStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly client: FileSessionClient,
    private readonly clock: Clock,
    private readonly idleTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Opens `realPath` for `reader`; false when the reader already has too many streams. */
  async start(reader: string, id: string, realPath: string, size: number): Promise<boolean> {
    const key = `${reader}\0${id}`;
    if (this.streams.has(key)) this.cancel(reader, id);
    const own = [...this.streams.values()].filter((stream) => stream.reader === reader).length;
    if (own >= MAX_STREAMS_PER_READER) return false;
    const handle = await fs.open(realPath, constants.O_RDONLY | NO_FOLLOW);
    const stream: Stream = {
      reader, id, handle, size, chunks: Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES)),
      nextIndex: 0, acknowledged: -1, pumping: false, idle: this.idleTimer(key),
    };
    this.streams.set(key, stream);
    return true;
  }

  /** Sends chunks while the window allows. */
  pump(reader: string, id: string): void {
    const key = `${reader}\0${id}`;
    const stream = this.streams.get(key);
    if (!stream || stream.pumping) return;
    stream.pumping = true;
    this.sendWindow(key, stream)
      .catch((err: unknown) => {
        this.logger.warn('reading a shared file failed', { error: String(err) });
        this.client.send('file', encodePayload({ type: 'file-error', id, code: 'io', message: 'The host could not read the file.' }), reader);
        this.close(key);
      })
      .finally(() => {
        stream.pumping = false;
        // An acknowledgement that arrived as the loop was ending still opens the window.
        if (this.streams.get(key) === stream && stream.nextIndex <= stream.acknowledged + READ_WINDOW_CHUNKS) this.pump(reader, id);
      });
  }

  acknowledge(reader: string, id: string, index: number): void {
    const key = `${reader}\0${id}`;
    const stream = this.streams.get(key);
    if (!stream) return;
    stream.acknowledged = Math.max(stream.acknowledged, Math.min(index, stream.nextIndex - 1));
    this.clock.clearTimeout(stream.idle);
    stream.idle = this.idleTimer(key);
    // Acks that arrive during a pump are picked up by its loop or its end.
    this.pump(reader, id);
  }

  cancel(reader: string, id: string): void {
    this.close(`${reader}\0${id}`);
  }

  cancelAllOf(reader: string): void {
    for (const [key, stream] of this.streams) if (stream.reader === reader) this.close(key);
  }

  dispose(): void {
    for (const key of [...this.streams.keys()]) this.close(key);
  }

  private async sendWindow(key: string, stream: Stream): Promise<void> {
    while (this.streams.get(key) === stream && stream.nextIndex < stream.chunks && stream.nextIndex <= stream.acknowledged + READ_WINDOW_CHUNKS) {
      const index = stream.nextIndex;
      const offset = index * FILE_CHUNK_BYTES;
      const length = Math.max(0, Math.min(FILE_CHUNK_BYTES, stream.size - offset));
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await stream.handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break; // The file shrank while being read: send what there is.
        filled += bytesRead;
      }
      if (this.streams.get(key) !== stream) return;
      const last = index === stream.chunks - 1;
      const sent = this.client.send('file', encodePayload({ type: 'chunk', id: stream.id, index, data: buffer.subarray(0, filled).toString('base64'), last }), stream.reader);
      stream.nextIndex++;
      // Not connected: the guest will time out and ask again once we are back.
      if (!sent || last) {
        this.close(key);
        return;
      }
    }
  }

  private idleTimer(key: string): TimerHandle {
    return this.clock.setTimeout(() => this.close(key), this.idleTimeoutMs);
  }

  private close(key: string): void {
    const stream = this.streams.get(key);
    if (!stream) return;
    this.streams.delete(key);
    this.clock.clearTimeout(stream.idle);
    stream.handle.close().catch(() => undefined);
  }
}
