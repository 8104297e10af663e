/**
 * One error handler for the whole app. The same AppError becomes:
 * - under /open311/: the GeoReport v2 error list, as XML (default) or JSON (`.json` paths);
 * - under /api/: RFC 9457 problem details (application/problem+json);
 * - anywhere else: an accessible GOV.UK-style HTML page.
 * 5xx details are logged, never shown. The 404 handler is rate-limited so URL probing is throttled.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError, codeForStatus, ERROR_CODES, type ErrorCode, type FieldError } from '../lib/errors.js';
import { escapeXml, XML_DECLARATION } from '../lib/xml.js';

type ApiStyle = 'open311-xml' | 'open311-json' | 'api' | 'html';

function styleFor(request: FastifyRequest): ApiStyle {
  const path = request.url.split('?')[0] ?? '';
  if (path.startsWith('/open311/')) {
    const wantsJson = path.endsWith('.json') || /[?&]format=json\b/.test(request.url);
    return wantsJson ? 'open311-json' : 'open311-xml';
  }
  if (path.startsWith('/api/')) return 'api';
  return 'html';
}

/** The GeoReport v2 error list: one error per field problem (several are allowed), or the one message. */
function open311Errors(status: number, message: string, fields: FieldError[]) {
  if (status >= 500 || fields.length === 0) return [{ code: status, description: message }];
  return fields.map((f) => ({ code: status, description: `${f.field.replace(/^\//, '')}: ${f.message}` }));
}

function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const fields: FieldError[] = fastifyError.validation.map((v) => ({
      field:
        v.instancePath ||
        (typeof v.params?.missingProperty === 'string' ? `/${v.params.missingProperty}` : '') ||
        '/',
      message: v.message ?? 'is not valid',
    }));
    return new AppError('validation_failed', fastifyError.message, fields);
  }
  const status = fastifyError.statusCode ?? 500;
  const code: ErrorCode = status === 429 ? 'rate_limited' : codeForStatus(status);
  // Client errors from Fastify itself (bad JSON, wrong content type) carry a useful, safe message.
  return new AppError(code, status < 500 ? fastifyError.message : undefined);
}

export async function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
  config: Config,
): Promise<FastifyReply> {
  const status = error.status;
  const message = status >= 500 ? ERROR_CODES[error.code].title : error.message;
  reply.status(status);
  switch (styleFor(request)) {
    case 'open311-xml':
      return reply.type('text/xml; charset=utf-8').send(
        `${XML_DECLARATION}\n<errors>${open311Errors(status, message, error.fieldErrors)
          .map(
            (e) =>
              `<error><code>${e.code}</code><description>${escapeXml(e.description)}</description></error>`,
          )
          .join('')}</errors>`,
      );
    case 'open311-json':
      return reply
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(open311Errors(status, message, error.fieldErrors)));
    case 'api':
      return reply.type('application/problem+json; charset=utf-8').send({
        type: `https://civicdesk.invalid/problems/${error.code}`,
        title: ERROR_CODES[error.code].title,
        status,
        code: error.code,
        detail: message,
        ...(error.fieldErrors.length > 0 ? { errors: error.fieldErrors } : {}),
      });
    case 'html': {
      const template =
        status === 404 ? 'errors/404.njk' : status >= 500 ? 'errors/5xx.njk' : 'errors/4xx.njk';
      try {
        return await reply.view(template, {
          status,
          title: ERROR_CODES[error.code].title,
          message: status >= 500 ? undefined : message,
          showDetail: !config.isProduction && status >= 500,
        });
      } catch (renderError) {
        request.log.error({ err: renderError }, 'error page failed to render');
        return reply.type('text/plain; charset=utf-8').send(ERROR_CODES[error.code].title);
      }
    }
  }
}

export default fp(
  async (app, opts: { config: Config }) => {
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const appError = toAppError(error);
      if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: appError.code, msg: appError.message }, 'request refused');
      return sendError(request, reply, appError, opts.config);
    });

    app.setNotFoundHandler(
      { preHandler: app.rateLimit({ max: 120, timeWindow: '1 minute' }) },
      async (request, reply) => sendError(request, reply, new AppError('not_found'), opts.config),
    );
  },
  { name: 'errors', dependencies: ['views', '@fastify/rate-limit'] },
);
