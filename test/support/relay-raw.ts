/**
 * WebSocket framing by hand over a plain TCP socket, for hostile tests that need what no
 * well-behaved library sends: thousands of 1-byte continuation fragments, an upgrade request with
 * thousands of headers, an upgrade written one byte at a time. Loopback only.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { SUBPROTOCOL } from '../../protocol';

export interface RawSocket {
  readonly socket: net.Socket;
  /** Everything received so far (after the HTTP response head, once upgraded). */
  received(): Buffer;
  /** Resolves when the peer ends or resets the connection. */
  readonly ended: Promise<void>;
}

/** Opens a TCP connection to the relay's port. */
export function openTcp(port: number): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((done) => {
      socket.once('close', () => done());
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), ended }));
    socket.once('error', reject);
  });
}

/** The upgrade request text, optionally with extra header lines. */
export function upgradeRequest(extraHeaders: readonly string[] = []): string {
  return [
    'GET /ws HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Protocol: ${SUBPROTOCOL}`, ...extraHeaders, '', '',
  ].join('\r\n');
}

/** Opens a TCP connection and completes the WebSocket upgrade; rejects on any other answer. */
export async function openUpgraded(port: number, timeoutMs = 4000): Promise<RawSocket> {
  const raw = await openTcp(port);
  raw.socket.write(upgradeRequest());
  await waitFor(() => raw.received().includes('\r\n\r\n'), timeoutMs, 'the upgrade response');
  const head = raw.received().toString('latin1');
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
  return raw;
}

/** One masked client frame. `fin` false starts or continues a fragmented message. */
export function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) masked[index] = (payload[index] ?? 0) ^ (mask[index % 4] ?? 0);
  return Buffer.concat([header, mask, masked]);
}

export const Opcode = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9 } as const;

/** A text message split into fragments of `size` bytes (first a text frame, then continuations). */
export function fragmented(text: string, size: number): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const frames: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    const last = offset + size >= payload.length;
    frames.push(frame(offset === 0 ? Opcode.Text : Opcode.Continuation, payload.subarray(offset, offset + size), last));
  }
  return Buffer.concat(frames);
}

/** Server frames parsed out of the bytes after the HTTP head (server frames are unmasked). */
export function serverFrames(afterHead: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  let offset = 0;
  while (offset + 2 <= afterHead.length) {
    const opcode = (afterHead[offset] ?? 0) & 0x0f;
    let length = (afterHead[offset + 1] ?? 0) & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = afterHead.readUInt16BE(offset + 2);
      start += 2;
    } else if (length === 127) {
      length = Number(afterHead.readBigUInt64BE(offset + 2));
      start += 8;
    }
    if (start + length > afterHead.length) break;
    frames.push({ opcode, payload: afterHead.subarray(start, start + length) });
    offset = start + length;
  }
  return frames;
}

/** The close code the server sent on a raw upgraded socket, if any. */
export function closeCodeOf(raw: RawSocket): number | undefined {
  const all = raw.received();
  const headEnd = all.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const close = serverFrames(all.subarray(headEnd + 4)).find((candidate) => candidate.opcode === Opcode.Close);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
}

/** Polls `condition` every 10 ms until true or the timeout; rejects naming what it waited for. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resident set size of a process, in bytes, from /proc (Linux). */
export function rssOf(pid: number, read: (file: string) => string): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`));
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}
