// Pairline real-VS-Code harness: public API. Plain ESM, no build step.
// Run `bash harness/setup.sh` once before use.
export { startCodeServer, copyExtensionFolder, freePort, DEFAULT_SETTINGS } from './codeServer.mjs';
export { launchBrowser, openWorkbench, workbenchUrl, CHROMIUM_ARGS } from './browser.mjs';
export { runExtensionTests } from './extensionTests.mjs';
export { registerProcessGroup, unregisterProcessGroup, registerTempDir, unregisterTempDir, killProcessGroup, groupMembers, ensureCleanupGuard } from './cleanup.mjs';
export { HARNESS_DIR, CODE_SERVER_ENTRY, CHROMIUM_PATH, assertInstalled } from './paths.mjs';
