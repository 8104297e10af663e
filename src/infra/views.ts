/**
 * Server-rendered HTML with Nunjucks on GOV.UK Frontend. `reply.view(template, context)` renders a
 * template with the site-wide context every layout needs (council name, CSP nonce, CSRF token, the
 * current path), so route handlers pass only their own view model.
 *
 * Templates are found in src/views (layout, partials, error pages), src/modules (each module's
 * views/), govuk-frontend's dist (its macros, as "govuk/components/...") and
 * @ministryofjustice/frontend's (the case-work components, as "moj/components/...").
 */
import fp from 'fastify-plugin';
import nunjucks from 'nunjucks';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { formatDateTime } from '../lib/dates.js';
import { GOVUK_FRONTEND_DIR, MOJ_FRONTEND_DIR, SRC_DIR } from './paths.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a template and sends it as text/html. */
    view(template: string, context?: Record<string, unknown>): Promise<FastifyReply>;
  }
  interface FastifyInstance {
    views: nunjucks.Environment;
  }
}

export function createViewEnvironment(config: Pick<Config, 'isProduction'>): nunjucks.Environment {
  const loader = new nunjucks.FileSystemLoader(
    [path.join(SRC_DIR, 'views'), path.join(SRC_DIR, 'modules'), GOVUK_FRONTEND_DIR, MOJ_FRONTEND_DIR],
    { noCache: !config.isProduction },
  );
  const env = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false });
  env.addFilter('date', (value: Date | string | null | undefined) => {
    if (!value) return '';
    return formatDateTime(value instanceof Date ? value : new Date(value));
  });
  return env;
}

export default fp(
  async (app, opts: { config: Config }) => {
    const env = createViewEnvironment(opts.config);
    app.decorate('views', env);

    app.decorateReply('view', async function (this: FastifyReply, template: string, context = {}) {
      const request = this.request;
      const site = {
        councilName: opts.config.CIVICDESK_COUNCIL_NAME,
        showDevPages: !opts.config.isProduction,
        currentPath: request.url.split('?')[0],
        // For map components' data attributes (see src/client/README.md).
        map: {
          tileUrl: opts.config.CIVICDESK_MAP_TILE_URL,
          attribution: opts.config.CIVICDESK_MAP_ATTRIBUTION,
          maxZoom: opts.config.CIVICDESK_MAP_MAX_ZOOM,
        },
      };
      const html = await new Promise<string>((resolve, reject) =>
        env.render(
          template,
          {
            site,
            cspNonce: this.cspNonce?.script,
            csrfToken: request.session?.csrfToken,
            ...context,
          },
          (error, result) => (error ? reject(error) : resolve(result ?? '')),
        ),
      );
      return this.type('text/html; charset=utf-8').send(html);
    });
  },
  { name: 'views' },
);
