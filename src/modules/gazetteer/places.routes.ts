/**
 * The gazetteer as JSON, for the browser's place search type-ahead and for describing a map pin:
 *
 *   GET /api/v1/places?q=bradgate&limit=8  → { results: [{ id, kind, label, detail, lat, lon }] }
 *   GET /api/v1/places/reverse?lat=&lon=   → { description, street?, address? }
 *
 * Public: no session is read or started (no cookie is set), so answers can be cached by the browser
 * for a few minutes: the gazetteer changes only when someone imports into it. Each is rate-limited per
 * client address, generously, since type-ahead asks once per pause in typing. Errors are the app's
 * problem+json (src/infra/errors.ts: everything under /api/).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { typed } from '../../infra/typed-routes.js';

/** How long browsers may reuse an answer. */
const CACHE_CONTROL = 'public, max-age=300';
/** A reverse lookup describes a pin by an address only this close to it. */
const ADDRESS_WITHIN_METRES = 50;

const SearchQuery = Type.Object({
  q: Type.String({ minLength: 2, maxLength: 100 }),
  limit: Type.Integer({ minimum: 1, maximum: 20, default: 10 }),
});

const PlaceKind = Type.Union([
  Type.Literal('postcode'),
  Type.Literal('street'),
  Type.Literal('place'),
  Type.Literal('address'),
]);

const SearchReply = Type.Object({
  results: Type.Array(
    Type.Object({
      /** Stable across re-imports ("postcode:M33 7AA", "street:42"): the server can look a choice up again. */
      id: Type.String(),
      kind: PlaceKind,
      label: Type.String(),
      detail: Type.String(),
      lat: Type.Number(),
      lon: Type.Number(),
    }),
  ),
});

const ReverseQuery = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
});

const ReverseReply = Type.Object({
  /** The pin in words ("Near 12 Bradgate Road, Sale", "Bradgate Road, Sale"), or null if nothing is near. */
  description: Type.Union([Type.String(), Type.Null()]),
  /** The nearest street within 250 m, with its locality: "Bradgate Road, Sale". */
  street: Type.Optional(Type.String()),
  /** The nearest address within 50 m. */
  address: Type.Optional(Type.String()),
});

export default async function placesRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const { gazetteer } = app.domain;

  app.get(
    '/api/v1/places',
    {
      schema: { querystring: SearchQuery, response: { 200: SearchReply } },
      config: { rateLimit: { max: 300, timeWindow: '1 minute' } },
    },
    async (request, reply): Promise<Static<typeof SearchReply>> => {
      const { q, limit } = request.query;
      const results = await gazetteer.search(q, { limit });
      reply.header('cache-control', CACHE_CONTROL);
      return {
        results: results.map(({ id, kind, label, detail, lat, lon }) => ({
          id,
          kind,
          label,
          detail,
          lat,
          lon,
        })),
      };
    },
  );

  app.get(
    '/api/v1/places/reverse',
    {
      schema: { querystring: ReverseQuery, response: { 200: ReverseReply } },
      config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
    },
    async (request, reply): Promise<Static<typeof ReverseReply>> => {
      const { lat, lon } = request.query;
      const [description, near] = await Promise.all([
        gazetteer.describePoint(lon, lat),
        gazetteer.nearest(lon, lat, { kinds: ['address', 'street'], maxMetres: 250 }),
      ]);
      const street = near.find((n) => n.kind === 'street');
      const address = near.find((n) => n.kind === 'address' && n.distanceMetres <= ADDRESS_WITHIN_METRES);
      reply.header('cache-control', CACHE_CONTROL);
      return {
        description,
        ...(street ? { street: street.description } : {}),
        ...(address ? { address: address.label } : {}),
      };
    },
  );
}
