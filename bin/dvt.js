#!/usr/bin/env node
// Entry of the `dvt` command: runs the compiled CLI (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  console.error(`dvt is not built (${main} is missing): run "npm install" or "npm run build" in ${root}`);
  process.exit(1);
}
await import(pathToFileURL(main).href);
