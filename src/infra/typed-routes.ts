/**
 * What route files share so that handlers read typed request parts, never casts (issue #11).
 *
 * The app is built `.withTypeProvider<TypeBoxTypeProvider>()` (src/app.ts), but a plugin or a
 * `register...Routes(app)` function receives a plain `FastifyInstance`, which forgets the provider. Route
 * files call `typed(app)` and register on what it returns: the same instance, whose handlers then see
 * `request.body`, `request.query` and `request.params` as the `Static` types of the route's TypeBox schemas.
 * Validation itself is Fastify's Ajv (removeAdditional: true, coerceTypes: 'array'), as before.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { Type } from 'typebox';

/** The app, with request parts typed from each route's TypeBox schemas. */
export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export function typed(app: FastifyInstance): TypedApp {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

/**
 * The body of a form that is only a button (sign out, send again, ...): nothing but the CSRF token, which
 * the security hook has checked before validation. The token may come in the X-CSRF-Token header instead,
 * with no body at all, hence the null; anything else the form carries is dropped (removeAdditional).
 */
export const buttonForm = Type.Union([
  Type.Null(),
  Type.Object({ _csrf: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
]);
