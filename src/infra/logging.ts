/**
 * Logger settings (pino). Residents' personal data and credentials never reach the logs: cookies,
 * authorization and API-key headers, and any field named like contact details are redacted, and query
 * strings (which may hold tracking tokens) are dropped from logged URLs.
 */
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';

export const LOG_REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.email',
  '*.phone',
  '*.password',
  '*.to',
  '*.replyTo',
  '*.address',
  '*.token',
  // The OpenID Connect client secret, should a settings object or client ever be logged.
  'CIVICDESK_OIDC_CLIENT_SECRET',
  '*.CIVICDESK_OIDC_CLIENT_SECRET',
  'clientSecret',
  '*.clientSecret',
  '*.client_secret',
  '*.*.email',
  '*.*.phone',
  'email',
  'phone',
  'password',
  'to',
  'replyTo',
  'address',
  'token',
];

export function loggerOptions(
  config: Pick<Config, 'CIVICDESK_LOG_LEVEL'>,
  { pretty }: { pretty: boolean },
): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: config.CIVICDESK_LOG_LEVEL,
    redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(request: FastifyRequest) {
        const url = request.url ?? '';
        const query = url.indexOf('?');
        return {
          method: request.method,
          url: query === -1 ? url : `${url.slice(0, query)}?[query omitted]`,
          remoteAddress: request.ip,
        };
      },
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' },
          },
        }
      : {}),
  };
}
