export function writeDocsScreenshots() {}
