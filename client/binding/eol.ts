/**
 * Line endings of shared documents. The shared text keeps the host's line endings; every writer
 * inserts line breaks in the document's EOL, so editors (which keep one EOL per document) never
 * have to change what they are given.
 */

/** The EOL of a text: that of its first line break, or undefined without any. */
export function eolOf(text: string): '\r\n' | '\n' | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}

/** `insert` with every line break (`\r\n`, `\n`, lone `\r`) written as `eol`. */
export function withEol(insert: string, eol: '\r\n' | '\n'): string {
  return insert.replace(/\r\n|\r|\n/g, eol);
}
