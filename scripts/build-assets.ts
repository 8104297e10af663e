/**
 * Builds the browser assets into dist/public: the stylesheet (GOV.UK Frontend compiled from Sass with the
 * council's settings) and the progressive-enhancement scripts from src/client. Run by `npm run build`
 * (and so before `npm start` and `npm test`).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as sass from 'sass';
import { ROOT_DIR } from '../src/infra/paths.js';

const out = path.join(ROOT_DIR, 'dist/public');
fs.mkdirSync(out, { recursive: true });

const started = Date.now();
const css = sass.compile(path.join(ROOT_DIR, 'src/client/styles/app.scss'), {
  loadPaths: [path.join(ROOT_DIR, 'node_modules')],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import'],
});
fs.writeFileSync(path.join(out, 'app.css'), css.css);

for (const file of fs.readdirSync(path.join(ROOT_DIR, 'src/client'))) {
  if (/\.(js|svg)$/.test(file))
    fs.copyFileSync(path.join(ROOT_DIR, 'src/client', file), path.join(out, file));
}
console.log(`assets built in ${Date.now() - started} ms → ${path.relative(ROOT_DIR, out)}`);
