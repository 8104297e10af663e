/**
 * Static files: GOV.UK Frontend's fonts, images and script, and our built assets (npm run build).
 * Long cache lifetimes in production only, where the files do not change under a running process.
 */
import fs from 'node:fs';
import path from 'node:path';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { Config } from '../config.js';
import { GOVUK_FRONTEND_DIR, ROOT_DIR } from './paths.js';

export const BUILT_ASSETS_DIR = path.join(ROOT_DIR, 'dist/public');

export default fp(
  async (app, opts: { config: Config }) => {
    if (!fs.existsSync(path.join(BUILT_ASSETS_DIR, 'app.css'))) {
      throw new Error(`Built assets are missing from ${BUILT_ASSETS_DIR}: run "npm run build" first.`);
    }
    const maxAge = opts.config.isProduction ? '1d' : 0;
    await app.register(fastifyStatic, {
      root: path.join(GOVUK_FRONTEND_DIR, 'govuk/assets'),
      prefix: '/assets/',
      maxAge,
      decorateReply: false,
    });
    await app.register(fastifyStatic, {
      root: path.join(GOVUK_FRONTEND_DIR, 'govuk'),
      prefix: '/static/govuk/',
      maxAge,
      decorateReply: false,
      // Only the compiled bundle: the rest of the folder is source the browser has no use for.
      allowedPath: (pathName) => /^\/govuk-frontend\.min\.(js|css)(\.map)?$/.test(pathName),
    });
    await app.register(fastifyStatic, {
      root: BUILT_ASSETS_DIR,
      prefix: '/static/',
      maxAge,
      decorateReply: false,
    });
  },
  { name: 'assets' },
);
