/**
 * Secrets and the ids derived from them. Session ids are self-certifying: the first 128 bits of
 * SHA-256(hostSecret), so after a relay restart only the real host can re-register its session.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Length in characters of a session id (128 bits of base64url). */
export const SESSION_ID_LENGTH = 22;

/** A fresh random secret: 256 bits, base64url. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a string, base64url. Used for invite-secret hashes and token hashes. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** The session id a host secret certifies. */
export function deriveSessionId(hostSecret: string): string {
  return hashSecret(hostSecret).slice(0, SESSION_ID_LENGTH);
}

/** Constant-time comparison of two strings (for secrets and hashes). */
export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
