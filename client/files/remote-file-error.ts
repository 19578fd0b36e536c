/**
 * Why a guest's file operation failed, with a code the file system provider maps onto its own
 * errors (not-found → FileNotFound, …) and a sentence to show the user.
 */
import type { FileErrorCode } from '../../protocol/file-payloads';

export class RemoteFileError extends Error {
  override readonly name = 'RemoteFileError';

  constructor(
    readonly code: FileErrorCode,
    message: string,
    /** For `too-large`: the host's limit in bytes. */
    readonly limit?: number,
  ) {
    super(message);
  }
}

/** Sentences for failures detected on the guest's side. */
export const guestSideMessages = {
  hostOffline: 'The host is offline; the file cannot be reached until they are back.',
  hostLeftDuringChange: 'The host went offline during the change; it may or may not have been made.',
  timeout: 'The host did not answer in time; try again.',
  disposed: 'The session was closed.',
  viewer: 'Viewers cannot change the host\'s files; ask the host to make you an editor.',
  malformed: 'The host sent an answer this version of Pairline does not understand.',
} as const;
