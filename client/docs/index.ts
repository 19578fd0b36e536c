/** Document sync: shared `Y.Text` documents keyed by workspace-relative path. */
export { DocumentSync } from './document-sync';
export { SharedDocument, type RemoteChange, type SaveEvent, type TextEdit } from './shared-document';
export {
  DEFAULT_LIMITS, DocumentError, type DocumentErrorCode, type DocumentSource, type DocumentSyncClient,
  type DocumentSyncLimits, type DocumentSyncOptions, type HealEvent,
} from './types';
