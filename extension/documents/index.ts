/** Co-editing in VS Code: shared documents bound to editors (see co-editing.ts). */
export { CoEditing, documentStateDirectory } from './co-editing';
export { anchorAt, offsetOfAnchor } from './anchors';
