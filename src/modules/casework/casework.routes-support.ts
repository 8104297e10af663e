/**
 * What the back office's route files (case work and the contact centre) share: who is acting, the bounds
 * of their forms' bodies, and the one function that renders a staff page in the staff layout.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TProperties } from 'typebox';
import type { CaseStatus } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { staffLayoutContext } from '../staff/index.js';
import type { Actor } from '../cases/index.js';

export const STATUSES = Object.keys(STATUS_LABELS) as CaseStatus[];

/** The signed-in member of staff as the case-work service sees them (with where they are, for audit). */
export function actorOf(request: FastifyRequest): Actor {
  const staff = request.staff!;
  return {
    id: staff.id,
    name: staff.name,
    role: staff.role,
    bodyId: staff.bodyId,
    teamId: staff.teamId,
    ip: request.ip,
  };
}

/*
 * Form bodies. The bounds are against abuse only: whatever a person can get wrong in a form (a box left
 * empty, a note too long for the case's own rules, a choice that is not offered) passes the schema and is
 * checked by the route, which shows it in the page's error summary. Going past a bound answers the error
 * page, as any malformed request does.
 */

/** A one-line field or a choice: optional (browsers send nothing for unticked boxes), bounded. */
export const formField = Type.Optional(Type.String({ maxLength: 1000 }));

/** A textarea of at most `maxLength` characters: well above the longest text the case's rules allow. */
export function formText(maxLength = 20_000) {
  return Type.Optional(Type.String({ maxLength }));
}

/** Checkboxes: none, one (a string) or several (an array) of short values. */
export function formChoices(maxItems: number, maxLength = 100) {
  return Type.Optional(
    Type.Union([Type.String({ maxLength }), Type.Array(Type.String({ maxLength }), { maxItems })]),
  );
}

/**
 * A staff form's body: its fields and the CSRF token (checked before validation, by the security hook).
 * Anything else the browser sends is dropped.
 */
export function staffForm<T extends TProperties>(fields: T) {
  return Type.Object(
    { ...fields, _csrf: Type.Optional(Type.String({ maxLength: 200 })) },
    { additionalProperties: false },
  );
}

/**
 * Renders a back-office page (case work, the contact centre) in the staff layout for the signed-in
 * member of staff. `templatePath` is the template's full path, as `casework/views/case.njk`.
 */
export async function renderForStaff(
  request: FastifyRequest,
  reply: FastifyReply,
  templatePath: string,
  context: Record<string, unknown>,
): Promise<FastifyReply> {
  await request.ensureSession(); // every staff page has the sign-out form, so a CSRF token
  return reply.view(templatePath, {
    ...staffLayoutContext(request, request.url.split('?')[0] ?? ''),
    ...context,
  });
}
