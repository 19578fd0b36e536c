/**
 * Searching a live process's memory for bytes (Linux): read /proc/PID/maps and scan every
 * readable region through /proc/PID/mem. Needs ptrace rights over the process (root, or the
 * process is our child). Used to prove the relay never held a plaintext marker.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export interface ScanResult {
  /** Which of the needles were found (by index). */
  readonly found: boolean[];
  readonly bytesScanned: number;
  readonly regionsScanned: number;
}

const CHUNK = 8 * 1024 * 1024;

export function scanProcessMemory(pid: number, needles: readonly Buffer[]): ScanResult {
  const found = needles.map(() => false);
  const longest = Math.max(...needles.map((needle) => needle.length));
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  let bytesScanned = 0;
  let regionsScanned = 0;
  try {
    for (const line of maps.split('\n')) {
      const match = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
      if (!match?.[1] || !match[2] || !match[3]?.startsWith('r')) continue;
      // Kernel-provided pages that cannot be read through mem.
      if (/\[(vvar|vsyscall|vvar_vclock)\]/.test(line)) continue;
      const start = BigInt(`0x${match[1]}`);
      const end = BigInt(`0x${match[2]}`);
      regionsScanned += 1;
      let carry = Buffer.alloc(0);
      for (let position = start; position < end; position += BigInt(CHUNK)) {
        const length = Number(end - position < BigInt(CHUNK) ? end - position : BigInt(CHUNK));
        const buffer = Buffer.alloc(length);
        let read: number;
        try {
          read = readSync(fd, buffer, 0, length, position);
        } catch {
          break;
        }
        bytesScanned += read;
        // Keep the tail of the previous chunk so a needle across the boundary is found.
        const window = Buffer.concat([carry, buffer.subarray(0, read)]);
        needles.forEach((needle, index) => {
          if (!found[index] && window.includes(needle)) found[index] = true;
        });
        carry = window.subarray(Math.max(0, window.length - longest));
        if (read < length) break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { found, bytesScanned, regionsScanned };
}

/** A string as UTF-8 and as UTF-16LE (V8 keeps some strings two bytes per character). */
export function encodings(text: string): Buffer[] {
  return [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')];
}
