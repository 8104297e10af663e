import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The project root (the folder holding package.json). */
export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SRC_DIR = path.join(ROOT_DIR, 'src');
/** govuk-frontend's dist folder: templates (govuk/...) and compiled assets. */
export const GOVUK_FRONTEND_DIR = path.dirname(require.resolve('govuk-frontend/package.json')) + '/dist';
/** @ministryofjustice/frontend's package folder: its templates (moj/components/...) and Sass. */
export const MOJ_FRONTEND_DIR = path.dirname(require.resolve('@ministryofjustice/frontend/package.json'));
