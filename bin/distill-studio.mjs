#!/usr/bin/env node
// The `distill-studio` command. In a development checkout it runs the TypeScript CLI through tsx's loader, so
// `npx distill-studio` works right after `npm ci` with no build step; where tsx is absent (an installed or
// packaged app) it runs the bundled CLI (dist/cli.mjs, from `npm run build`).
process.env.DISTILL_CLI_ENTRY = '1';
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  register = null;
}
if (register) {
  register();
  await import('../electron/cli/main.ts');
} else {
  try {
    await import('../dist/cli.mjs');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error('distill-studio: neither tsx (a development install) nor the bundled CLI (dist/cli.mjs) is here: run "npm ci" or "npm run build"');
    process.exitCode = 1;
  }
}
