/**
 * Security defaults, on in every environment including tests:
 * - helmet, with a fresh CSP nonce per response and no 'unsafe-inline';
 * - CSRF: every state-changing request must carry the session's token (form field `_csrf` or header
 *   `X-CSRF-Token`), unless its route says it authenticates some other way (`config: { csrf: false }`,
 *   for API-key and Open311 routes that never read cookies). A cross-site Origin is refused outright.
 * - the rate limiter, applied per route (and to the 404 handler, so probing for URLs is throttled).
 */
import crypto from 'node:crypto';
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { mapTileSource, type Config } from '../config.js';
import { AppError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when a form arrived from a session that has since expired (see csrfOnMissingSession). */
    sessionExpired: boolean;
  }
  interface FastifyContextConfig {
    /** false: this route does not use cookie sessions, so needs no CSRF token. */
    csrf?: boolean;
    /**
     * 'recover': when the check fails only because the session has gone (it expired mid-form), do not
     * refuse: mark the request (request.sessionExpired) so the handler can show the form again with what
     * was typed, saving nothing. A token that is present but wrong is still refused.
     */
    csrfOnMissingSession?: 'recover';
    /** multipart forms: the token may come in the query string, as the body is read by the handler. */
    csrfInQuery?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The `_csrf` field of a parsed form or JSON body (or of the query string), if it is a string. This hook
 * runs for every route before validation, so the part is whatever the parser made of it: read, not cast.
 */
function csrfField(part: unknown): string | undefined {
  if (typeof part !== 'object' || part === null || !('_csrf' in part)) return undefined;
  return typeof part._csrf === 'string' ? part._csrf : undefined;
}

function tokensMatch(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

export default fp(
  async (app, opts: { config: Config }) => {
    const { config } = opts;
    const publicOrigin = new URL(config.baseUrl).origin;
    await app.register(helmet, {
      enableCSPNonces: true,
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          // Map tiles come from the configured tile server's host, and nowhere else.
          imgSrc: [...new Set(["'self'", 'data:', mapTileSource(config.CIVICDESK_MAP_TILE_URL)])],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          objectSrc: ["'none'"],
          // Over plain HTTP in development, upgrading would break every asset.
          upgradeInsecureRequests: config.isProduction ? [] : null,
        },
      },
      hsts: config.isProduction ? { maxAge: 31536000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
    });

    await app.register(rateLimit, { global: false });
    app.decorateRequest('sessionExpired', false);

    app.addHook('preValidation', async (request) => {
      if (SAFE_METHODS.has(request.method)) return;
      if (request.routeOptions.config?.csrf === false) return;

      const origin = request.headers.origin;
      if (origin && origin !== 'null') {
        const host = request.headers.host;
        let originHost: string | undefined;
        try {
          originHost = new URL(origin).host;
        } catch {
          originHost = undefined;
        }
        // Behind a proxy that rewrites Host, the public origin is the configured base URL.
        const sameSite = (host !== undefined && originHost === host) || origin === publicOrigin;
        if (!sameSite) throw new AppError('csrf_failed', 'Cross-site request refused');
      }

      const session = await request.loadSession();
      const sent =
        csrfField(request.body) ??
        (request.routeOptions.config?.csrfInQuery ? csrfField(request.query) : undefined) ??
        (typeof request.headers['x-csrf-token'] === 'string' ? request.headers['x-csrf-token'] : undefined);
      if (!session && sent && request.routeOptions.config?.csrfOnMissingSession === 'recover') {
        request.sessionExpired = true;
        return;
      }
      if (!session || !sent || !tokensMatch(sent, session.csrfToken)) {
        throw new AppError('csrf_failed');
      }
    });
  },
  { name: 'security', dependencies: ['session'] },
);
