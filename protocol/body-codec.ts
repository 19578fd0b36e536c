/**
 * Relayed bodies: the bytes inside `send`/`relayed`, which the relay forwards without reading.
 *
 * Wire form: base64 of `version byte ‖ payload`.
 * - 0x00: plaintext payload (sessions started with encryption off).
 * - 0x01: AES-256-GCM — `nonce (12) ‖ ciphertext ‖ tag (16)`, under the session key from the
 *   invite fragment. The associated data binds the session, the kind and the relay-stamped sender,
 *   so neither the relay nor another participant can replay a message as someone else's or as
 *   another kind. Still opened; no longer sealed.
 * - 0x02: as 0x01, but the sealed plaintext starts with `sentAt (8, ms since epoch, big endian) ‖
 *   messageId (16 random bytes)`, so a receiver can refuse a frame the relay (or anyone on the
 *   path) replays: see client/replay-guard.ts. The version byte is bound in the associated data,
 *   so a 0x02 body cannot be passed off as 0x01 to skip the check. Still opened; no longer sealed.
 * - 0x03 (sealed now): as 0x02 with a 6-byte stamp, `sentAt (6, ms since epoch, big endian)`.
 *   The random 12-byte GCM nonce is already unique per message (a repeated nonce under one key
 *   would break GCM itself) and is authenticated, so it serves as the message id: a replayed body
 *   repeats it, and changing it fails authentication. 18 bytes (24 base64 characters) shorter than
 *   0x02. 48 bits of milliseconds last until the year 10889.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { RelayedKind } from './messages';

const PLAIN = 0x00;
const AES_GCM = 0x01;
const AES_GCM_STAMPED = 0x02;
const AES_GCM_SHORT_STAMP = 0x03;
/** Bytes of the replay stamp at the start of a 0x02 plaintext: sentAt (8) ‖ messageId (16). */
const STAMP_BYTES = 24;
/** Bytes of the replay stamp at the start of a 0x03 plaintext: sentAt (6); the nonce is the id. */
const SHORT_STAMP_BYTES = 6;
/** Largest sentAt a 0x03 stamp holds (2^48 − 1 ms). */
const MAX_SENT_AT = 2 ** 48 - 1;
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
  /**
   * Like {@link open}, with the replay stamp when the body carries one (formats 0x02 and 0x03).
   * Optional so codecs written elsewhere (tests, other clients) stay valid.
   */
  openStamped?(kind: RelayedKind, from: string, body: string): OpenedBody;
}

export interface OpenedBody {
  readonly payload: Uint8Array;
  /**
   * Present for stamped (0x02, 0x03) bodies: the sender's clock when sealing, ms since the epoch,
   * and an id unique to the message (base64url; for 0x03 the nonce).
   */
  readonly stamp?: { readonly sentAt: number; readonly messageId: string };
}

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

/** A fresh random payload key, base64url. */
export function newPayloadKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

function associatedData(session: string, kind: RelayedKind, sender: string, version = AES_GCM): Buffer {
  // Version 0x01 keeps its original associated data so older bodies still open.
  const prefix = version === AES_GCM ? 'pairline/1' : `pairline/${version}`;
  return Buffer.from(`${prefix}\0${session}\0${kind}\0${sender}`, 'utf8');
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
      if (bytes[0] === AES_GCM || bytes[0] === AES_GCM_STAMPED || bytes[0] === AES_GCM_SHORT_STAMP) throw new BodyError('message is encrypted but this session has no key; the invite link lacks its "k=" part');
      if (bytes[0] !== PLAIN) throw new BodyError('unknown body format');
      return bytes.subarray(1);
    },
  };
}

/**
 * AES-256-GCM bodies under `key` (base64url, 32 bytes). Seals format 0x03 (with a replay stamp
 * from `clock`); opens 0x01, 0x02 and 0x03.
 */
export function encryptedCodec(session: string, key: string, clock: () => number = Date.now): BodyCodec {
  const keyBytes = Buffer.from(key, 'base64url');
  if (keyBytes.length !== KEY_BYTES) throw new BodyError('payload key must be 32 bytes');
  const openStamped = (kind: RelayedKind, from: string, body: string): OpenedBody => {
    const bytes = Buffer.from(body, 'base64');
    const version = bytes[0];
    if (version !== AES_GCM && version !== AES_GCM_STAMPED && version !== AES_GCM_SHORT_STAMP) throw new BodyError('message is not encrypted although this session is; refusing it');
    if (bytes.length < 1 + NONCE_BYTES + TAG_BYTES) throw new BodyError('encrypted message is truncated');
    const nonce = bytes.subarray(1, 1 + NONCE_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', keyBytes, nonce);
    decipher.setAAD(associatedData(session, kind, from, version));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new BodyError(`message from ${from} failed authentication (wrong key, tampered, or not really from them)`);
    }
    if (version === AES_GCM) return { payload: plain };
    if (version === AES_GCM_SHORT_STAMP) {
      if (plain.length < SHORT_STAMP_BYTES) throw new BodyError('encrypted message lacks its replay stamp');
      return { payload: plain.subarray(SHORT_STAMP_BYTES), stamp: { sentAt: plain.readUIntBE(0, SHORT_STAMP_BYTES), messageId: nonce.toString('base64url') } };
    }
    if (plain.length < STAMP_BYTES) throw new BodyError('encrypted message lacks its replay stamp');
    const sentAt = Number(plain.readBigUInt64BE(0));
    return { payload: plain.subarray(STAMP_BYTES), stamp: { sentAt, messageId: plain.subarray(8, STAMP_BYTES).toString('base64url') } };
  };
  return {
    encrypted: true,
    seal(kind, sender, payload) {
      const nonce = randomBytes(NONCE_BYTES);
      const stamp = Buffer.allocUnsafe(SHORT_STAMP_BYTES);
      stamp.writeUIntBE(Math.min(MAX_SENT_AT, Math.max(0, Math.floor(clock()))), 0, SHORT_STAMP_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyBytes, nonce);
      cipher.setAAD(associatedData(session, kind, sender, AES_GCM_SHORT_STAMP));
      const sealed = Buffer.concat([
        Buffer.of(AES_GCM_SHORT_STAMP), nonce, cipher.update(stamp), cipher.update(payload), cipher.final(), cipher.getAuthTag(),
      ]);
      return sealed.toString('base64');
    },
    open(kind, from, body) {
      return openStamped(kind, from, body).payload;
    },
    openStamped,
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
