// Bundles the three entry points. The extension bundle keeps `vscode` external (the host provides it);
// the relay and CLI bundles are self-contained so `node dist/relay.js` needs no node_modules.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // ws has optional native helpers; without them it uses its JavaScript fallbacks.
  external: ['bufferutil', 'utf-8-validate'],
};

const builds = [
  { ...common, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'] },
  { ...common, entryPoints: ['relay-server/main.ts'], outfile: 'dist/relay.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['client/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
