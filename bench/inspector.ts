/**
 * Forces a full garbage collection in another Node process through its inspector (the relay is
 * started with `--inspect=127.0.0.1:0` for the memory figures only), and reads its heap figures.
 * The relay needs no GC hook of its own for this.
 */
import WebSocket from 'ws';

export interface HeapFigures {
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    });
  }

  static open(url: string): Promise<InspectorSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(new InspectorSession(socket)));
      socket.once('error', reject);
    });
  }

  call(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector ${method} timed out`)), timeoutMs);
      this.pending.set(id, (result) => { clearTimeout(timer); resolve(result); });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Two full collections (the second frees what finalisers of the first released). */
  async collectGarbage(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
  }

  async heap(): Promise<HeapFigures> {
    const result = await this.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true }) as { result?: { value?: string } };
    const usage = JSON.parse(result.result?.value ?? '{}') as Partial<HeapFigures>;
    return { heapUsed: usage.heapUsed ?? Number.NaN, external: usage.external ?? Number.NaN, arrayBuffers: usage.arrayBuffers ?? Number.NaN };
  }

  close(): void {
    this.socket.close();
  }
}
