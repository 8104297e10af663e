/**
 * Builds the browser assets into dist/public: the stylesheet (GOV.UK Frontend compiled from Sass with the
 * council's settings) and the progressive-enhancement scripts from src/client. Run by `npm run build`
 * (and so before `npm start` and `npm test`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import * as sass from 'sass';
import { ROOT_DIR } from '../src/infra/paths.js';

const require = createRequire(import.meta.url);
const out = path.join(ROOT_DIR, 'dist/public');
fs.mkdirSync(out, { recursive: true });

const started = Date.now();
const css = sass.compile(path.join(ROOT_DIR, 'src/client/styles/app.scss'), {
  // The project root too: MOJ Frontend's Sass finds GOV.UK Frontend as "node_modules/govuk-frontend/...".
  loadPaths: [path.join(ROOT_DIR, 'node_modules'), ROOT_DIR],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import'],
});
fs.writeFileSync(path.join(out, 'app.css'), css.css);

// Scripts: each src/client/*.js is an entry point, bundled with what it imports (Leaflet,
// accessible-autocomplete) into one ES module of the same name. app.js is the only one a page loads; it
// imports the others on demand, by URL, when the page has one of their data-module elements. No code
// splitting: nothing is shared between components that matters, and unhashed files alone cannot be
// served stale against a newer chunk. GOV.UK Frontend stays its own file (/static/govuk/...), so it is
// left external.
const clientDir = path.join(ROOT_DIR, 'src/client');
const entryPoints = fs
  .readdirSync(clientDir)
  .filter((file) => file.endsWith('.js'))
  .map((file) => path.join(clientDir, file));
await esbuild.build({
  entryPoints,
  outdir: out,
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  // ES2019 syntax, plus import() (which app.js needs, and every browser with modules has).
  target: ['es2019'],
  supported: { 'dynamic-import': true },
  external: ['/static/*'],
  legalComments: 'eof',
  logLevel: 'warning',
});
for (const file of fs.readdirSync(clientDir)) {
  if (file.endsWith('.svg')) fs.copyFileSync(path.join(clientDir, file), path.join(out, file));
}
// Leaflet's marker images, for the map components (which set L.Icon.Default.imagePath to this folder).
// The libraries' stylesheets are compiled into app.css (see styles/app.scss).
const leafletImages = path.join(path.dirname(require.resolve('leaflet/package.json')), 'dist/images');
fs.mkdirSync(path.join(out, 'vendor/leaflet'), { recursive: true });
fs.cpSync(leafletImages, path.join(out, 'vendor/leaflet/images'), { recursive: true });
console.log(`assets built in ${Date.now() - started} ms → ${path.relative(ROOT_DIR, out)}`);

// The command line as one module (dist/cli/civicdesk.mjs). bin/civicdesk.js runs it while it is newer than
// every file in src/, and src/cli.ts through tsx otherwise: loading a few hundred TypeScript modules
// through tsx's loader costs about a second and a half at every command, which scripts and the tests
// that run the commands pay again and again. Packages stay in node_modules (not bundled); the bundle
// sits two folders below the root, as src/infra/paths.ts does, so ROOT_DIR is the same from either.
await esbuild.build({
  entryPoints: [path.join(ROOT_DIR, 'src/cli.ts')],
  outfile: path.join(ROOT_DIR, 'dist/cli/civicdesk.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: ['node20'],
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.log(`command line bundled → dist/cli/civicdesk.mjs`);
