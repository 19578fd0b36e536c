/**
 * Yjs, loaded once for the document sync engine. The package is an ES module whose CommonJS
 * build TypeScript cannot see under `module: Node16` from our CommonJS sources, so the types come
 * from the ES module and the value from `require` (which resolves to the package's .cjs build).
 */
import type * as Yjs from 'yjs' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const Y = require('yjs') as typeof Yjs;
export type Doc = Yjs.Doc;
export type Text = Yjs.Text;
export type YTextEvent = Yjs.YTextEvent;
export type Transaction = Yjs.Transaction;
