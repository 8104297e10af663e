/** What the admin route files share: how they render a page, and the bound on free-text form fields. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** Renders an admin page with the admin layout's context (given by src/modules/admin/index.ts). */
export type RenderAdminPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context?: object,
) => Promise<FastifyReply>;

/** Bounds against abuse only: the services' own limits are lower and come back as form errors. */
export const boundedField = Type.Optional(Type.String({ maxLength: 1000 }));
