/**
 * Relayed bodies: the bytes inside `send`/`relayed`, which the relay forwards without reading.
 *
 * Wire form: base64 of `version byte ‖ payload`.
 * - 0x00: plaintext payload (sessions started with encryption off).
 * - 0x01: AES-256-GCM — `nonce (12) ‖ ciphertext ‖ tag (16)`, under the session key from the
 *   invite fragment. The associated data binds the session, the kind and the relay-stamped sender,
 *   so neither the relay nor another participant can replay a message as someone else's or as
 *   another kind.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { RelayedKind } from './messages';

const PLAIN = 0x00;
const AES_GCM = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Payload keys are 256 bits, base64url (43 characters) in the invite fragment. */
export const KEY_BYTES = 32;

export interface BodyCodec {
  /** True when bodies are encrypted end to end. */
  readonly encrypted: boolean;
  /** Seals a payload sent by `sender` (the id the relay will stamp on it). */
  seal(kind: RelayedKind, sender: string, payload: Uint8Array): string;
  /** Opens a body the relay stamped as coming from `from`. Throws {@link BodyError} when it cannot. */
  open(kind: RelayedKind, from: string, body: string): Uint8Array;
}

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

/** A fresh random payload key, base64url. */
export function newPayloadKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

function associatedData(session: string, kind: RelayedKind, sender: string): Buffer {
  return Buffer.from(`pairline/1\0${session}\0${kind}\0${sender}`, 'utf8');
}

/** Bodies in the clear (base64 only). For sessions whose host turned encryption off. */
export function plainCodec(): BodyCodec {
  return {
    encrypted: false,
    seal(_kind, _sender, payload) {
      const out = Buffer.allocUnsafe(payload.length + 1);
      out[0] = PLAIN;
      out.set(payload, 1);
      return out.toString('base64');
    },
    open(_kind, _from, body) {
      const bytes = Buffer.from(body, 'base64');
      if (bytes[0] === AES_GCM) throw new BodyError('message is encrypted but this session has no key; the invite link lacks its "k=" part');
      if (bytes[0] !== PLAIN) throw new BodyError('unknown body format');
      return bytes.subarray(1);
    },
  };
}

/** AES-256-GCM bodies under `key` (base64url, 32 bytes). */
export function encryptedCodec(session: string, key: string): BodyCodec {
  const keyBytes = Buffer.from(key, 'base64url');
  if (keyBytes.length !== KEY_BYTES) throw new BodyError('payload key must be 32 bytes');
  return {
    encrypted: true,
    seal(kind, sender, payload) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyBytes, nonce);
      cipher.setAAD(associatedData(session, kind, sender));
      const sealed = Buffer.concat([Buffer.of(AES_GCM), nonce, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
      return sealed.toString('base64');
    },
    open(kind, from, body) {
      const bytes = Buffer.from(body, 'base64');
      if (bytes[0] !== AES_GCM) throw new BodyError('message is not encrypted although this session is; refusing it');
      if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES) throw new BodyError('encrypted message is truncated');
      const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', keyBytes, nonce);
      decipher.setAAD(associatedData(session, kind, from));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new BodyError(`message from ${from} failed authentication (wrong key, tampered, or not really from them)`);
      }
    },
  };
}

/**
 * A short code derived from the payload key that participants compare out of band ("does your
 * status bar say 4821-9930-1475 too?"): equal codes mean equal keys, so nobody in the middle
 * swapped the link.
 */
export function safetyCode(session: string, key: string): string {
  const bytes = Buffer.from(hkdfSync('sha256', Buffer.from(key, 'base64url'), Buffer.from(session, 'utf8'), 'pairline safety code', 8));
  const number = bytes.readBigUInt64BE() % 1_000_000_000_000n;
  const digits = number.toString().padStart(12, '0');
  return `${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`;
}

/** Fingerprint of a key for logs: never the key itself. */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
