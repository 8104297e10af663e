/**
 * The Open311 GeoReport v2 server on /open311/v2/ (docs/open311-server.md), with mySociety's extensions,
 * for FixMyStreet and other systems that send reports to the council or follow them.
 *
 *   GET  discovery.{fmt}                    the endpoint, its formats and who to ask for a key
 *   GET  services.{fmt}                     what can be reported (groups, keywords)
 *   GET  services/{code}.{fmt}              a service's questions as attributes
 *   POST requests.{fmt}                     report a problem (api_key): the same intake as the website
 *   GET  requests.{fmt}                     public requests (ids, services, dates, open/closed, paging)
 *   GET  requests/{id}.{fmt}                one public request
 *   GET  tokens/{token}.{fmt}               the request a token stands for
 *   GET  servicerequestupdates.{fmt}        public updates in a window (mySociety)
 *   POST servicerequestupdates.{fmt}        another system's update to a case (api_key, open311:write)
 *
 * Every answer comes in XML or JSON from the same model (open311-format.ts); errors are the spec's
 * error list, written by the app's one error handler (src/infra/errors.ts) for every path under
 * /open311/. Keys come in the form body or the query string, never a cookie, so there is no CSRF check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { readMultipartForm, type MultipartForm } from '../photos/index.js';
import {
  CONTENT_TYPES,
  createdNode,
  discoveryNode,
  postedUpdateNode,
  render,
  requestsNode,
  serviceDefinitionNode,
  servicesNode,
  updatesNode,
  type Format,
  type Node,
} from './open311-format.js';
import { asForm, text } from './open311-input.js';
import type { Open311ServerService } from './open311-server.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    open311Server: Open311ServerService;
  }
}

export const OPEN311_BASE = '/open311/v2';

/** "requests.xml", "services/{code}.json", ...: checked by splitFile and the service, so a bad one is a 404. */
const FileParams = Type.Object({ file: Type.String({ maxLength: 200 }) });
/**
 * A field as clients send it: once, repeated, or (in a JSON body) a number or flag, coerced to a string.
 * Which fields mean what is read tolerantly by open311-input.ts, so these are bounds against abuse only,
 * well above the service's own limits (a 4,000-character description), which answer in words.
 */
const FieldValue = Type.Union([
  Type.String({ maxLength: 20_000 }),
  Type.Array(Type.String({ maxLength: 20_000 }), { maxItems: 100 }),
]);
const Fields = Type.Object({}, { additionalProperties: FieldValue, maxProperties: 500 });
/**
 * The same, or nothing: a multipart POST (photos) has no parsed body, as readMultipartForm reads it
 * within its own limits. A type list rather than a union with null, so that a field too long is
 * reported once, not also as "must be null".
 */
const FormBody = Type.Unsafe<Static<typeof Fields> | null>({ ...Fields, type: ['object', 'null'] });

/** "services.xml" → ["services", "xml"]; any other extension is a 404, as mySociety's server says it. */
function splitFile(file: string): { name: string; format: Format } {
  const match = /^(.+)\.(xml|json)$/.exec(file);
  if (!match) throw new AppError('not_found', 'Bad extension. We support .xml and .json');
  return { name: match[1]!, format: match[2] as Format };
}

function send(reply: FastifyReply, format: Format, node: Node, status = 200): FastifyReply {
  return reply.status(status).type(CONTENT_TYPES[format]).send(render(node, format));
}

export default async function open311Server(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const server = app.open311Server;

  // Rate limits: per API client when the request carries a live client's key (an admin may set the
  // client's own limit), else per address. Counted after the body is read, where a POST's key is.
  const limitCache = new Map<
    string,
    { at: number; client?: { id: string; rateLimitPerMinute: number | null } }
  >();
  const clientOf = async (request: FastifyRequest) => {
    const key = text(asForm(request.body), 'api_key') ?? text(asForm(request.query), 'api_key');
    if (!key) return undefined;
    const prefix = key.slice(0, 15);
    const cached = limitCache.get(prefix);
    if (cached && Date.now() - cached.at < 30_000) return cached.client;
    const client = await app.apiClients.byKeyPrefix(key);
    if (limitCache.size > 1000) limitCache.clear();
    limitCache.set(prefix, { at: Date.now(), ...(client ? { client } : {}) });
    return client;
  };
  const limit = (defaultMax: number) => ({
    hook: 'preHandler' as const,
    timeWindow: '1 minute',
    keyGenerator: async (request: FastifyRequest) => {
      const client = await clientOf(request);
      return client ? `open311-client:${client.id}` : `open311-ip:${request.ip}`;
    },
    max: async (request: FastifyRequest) => (await clientOf(request))?.rateLimitPerMinute ?? defaultMax,
  });
  const read = {
    config: { csrf: false, rateLimit: limit(600) },
    schema: { params: FileParams, querystring: Fields },
  };
  const write = {
    config: { csrf: false, rateLimit: limit(240) },
    schema: { params: FileParams, querystring: Fields, body: FormBody },
  };

  app.get(`${OPEN311_BASE}/:file`, read, async (request, reply) => {
    const { name, format } = splitFile(request.params.file);
    const query = asForm(request.query);
    switch (name) {
      case 'discovery':
        return send(reply, format, discoveryNode(server.reads.discovery()));
      case 'services':
        // jurisdiction_id is accepted and ignored: this endpoint serves one jurisdiction.
        reply.header('cache-control', 'public, max-age=300');
        return send(reply, format, servicesNode(await server.reads.services()));
      case 'requests':
        return send(reply, format, requestsNode(await server.reads.searchRequests(query)));
      case 'servicerequestupdates':
        return send(reply, format, updatesNode(await server.reads.updates(query)));
      default:
        throw new AppError('not_found'); // as for any unknown path
    }
  });

  app.post(`${OPEN311_BASE}/:file`, write, async (request, reply) => {
    const { name, format } = splitFile(request.params.file);
    // FixMyStreet posts multipart (files photo1, photo2...) when it uploads photos; form-encoded otherwise.
    let multipart: MultipartForm | undefined;
    if (request.isMultipart()) {
      multipart = await readMultipartForm(request, {
        maxFileBytes: app.photos.limits.maxBytes,
        maxFiles: app.photos.maxPerOwner,
      });
    }
    const body = multipart ? multipart.fields : asForm(request.body);
    const form = { ...asForm(request.query), ...body };
    const apiKey = text(body, 'api_key') ?? text(asForm(request.query), 'api_key');
    switch (name) {
      case 'requests': {
        const created = await server.writes.createRequest(form, apiKey, multipart?.files ?? []);
        return send(reply, format, createdNode([created]));
      }
      case 'servicerequestupdates': {
        const updateId = await server.writes.postUpdate(form, apiKey);
        return send(reply, format, postedUpdateNode(updateId));
      }
      default:
        throw new AppError('not_found');
    }
  });

  app.get(`${OPEN311_BASE}/services/:file`, read, async (request, reply) => {
    const { name, format } = splitFile(request.params.file);
    reply.header('cache-control', 'public, max-age=300');
    return send(reply, format, serviceDefinitionNode(await server.reads.serviceDefinition(name)));
  });

  app.get(`${OPEN311_BASE}/requests/:file`, read, async (request, reply) => {
    const { name, format } = splitFile(request.params.file);
    return send(reply, format, requestsNode([await server.reads.request(name)]));
  });

  app.get(`${OPEN311_BASE}/tokens/:file`, read, async (request, reply) => {
    const { name, format } = splitFile(request.params.file);
    return send(reply, format, createdNode([await server.reads.token(name)]));
  });
}
