/**
 * What the case-work route files share: who is acting, and rendering a case-work page in the staff
 * layout.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CaseStatus } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { ROLE_LABELS } from '../staff/staff.service.js';
import { staffNavigation } from '../staff/staff.view-models.js';
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

/** Renders casework/views/`template` for the signed-in member of staff. */
export function renderCasework(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context: Record<string, unknown>,
): Promise<FastifyReply> {
  return renderForStaff(request, reply, `casework/views/${template}`, context);
}

/** Renders any module's template (its full path) in the staff layout, for the signed-in member of staff. */
export async function renderForStaff(
  request: FastifyRequest,
  reply: FastifyReply,
  templatePath: string,
  context: Record<string, unknown>,
): Promise<FastifyReply> {
  await request.ensureSession(); // every staff page has the sign-out form, so a CSRF token
  const staff = request.staff!;
  return reply.view(templatePath, {
    staff,
    staffRoleLabel: ROLE_LABELS[staff.role],
    staffNavigation: staffNavigation(staff, request.url.split('?')[0] ?? ''),
    ...context,
  });
}
