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
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route does not use cookie sessions, so needs no CSRF token. */
    csrf?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
          imgSrc: ["'self'", 'data:'],
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
      const body = request.body as Record<string, unknown> | undefined;
      const sent =
        (typeof body?._csrf === 'string' ? body._csrf : undefined) ??
        (typeof request.headers['x-csrf-token'] === 'string' ? request.headers['x-csrf-token'] : undefined);
      if (!session || !sent || !tokensMatch(sent, session.csrfToken)) {
        throw new AppError('csrf_failed');
      }
    });
  },
  { name: 'security', dependencies: ['session'] },
);
