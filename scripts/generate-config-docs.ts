/**
 * Regenerates the settings documentation from src/config.ts:
 *   - `.env.example`, every setting with its description and default;
 *   - the configuration table in README.md, between its marker comments.
 * Run with `npx tsx scripts/generate-config-docs.ts` after changing the schema. test/docs.test.ts fails
 * when either file has fallen behind the schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { ROOT_DIR } from '../src/infra/paths.js';
import { renderEnvExample, replaceConfigTable } from './config-docs.js';

const envExamplePath = path.join(ROOT_DIR, '.env.example');
fs.writeFileSync(envExamplePath, renderEnvExample());

// Format the README as `npm run check` expects, so regenerating never leaves a formatting diff.
const readmePath = path.join(ROOT_DIR, 'README.md');
const readme = replaceConfigTable(fs.readFileSync(readmePath, 'utf8'));
const options = (await prettier.resolveConfig(readmePath)) ?? {};
fs.writeFileSync(readmePath, await prettier.format(readme, { ...options, filepath: readmePath }));

console.log(`wrote ${path.relative(ROOT_DIR, envExamplePath)} and the configuration table in README.md`);
