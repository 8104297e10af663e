#!/usr/bin/env node
// Runs the command line: the bundle `npm run build` makes (dist/cli/civicdesk.mjs) while it is newer
// than every file in src/, else the TypeScript itself through tsx's loader, so an edit is never run
// stale and there is no compile step to forget. The bundle only saves start-up time (ADR 0009).
// CIVICDESK_CLI_FROM_SOURCE=true always runs the TypeScript.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist/cli/civicdesk.mjs');

function newestUnder(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    return fs.statSync(bundle).mtimeMs > newestUnder(path.join(root, 'src'));
  } catch {
    return false;
  }
}

if (process.env.CIVICDESK_CLI_FROM_SOURCE !== 'true' && bundleIsFresh()) {
  process.setSourceMapsEnabled(true); // stack traces name the TypeScript lines, as under tsx
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
