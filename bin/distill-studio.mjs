#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx distill-studio` works right after `npm ci`
// with no build step.
import { register } from 'tsx/esm/api';

register();
process.env.DISTILL_CLI_ENTRY = '1';
await import('../electron/cli/main.ts');
