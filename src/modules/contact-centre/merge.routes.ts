/**
 * Merging two records of one resident (made twice, say, when a caller gave a new phone number and a
 * web report came in under an address nobody had confirmed). Team leads and administrators only: a
 * wrong merge would show one person's cases on another's record.
 *
 *   GET       /staff/contacts/:id/merge?q=             find the other record
 *   GET, POST /staff/contacts/:id/merge/:other         compare, choose the details to keep, merge
 *
 * The rules are in ContactsService.merge; every merge is audited with the removed record as it was.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { StaffRole } from '../../db/database.js';
import { typed } from '../../infra/typed-routes.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { actorOf, formField, renderForStaff, staffForm } from '../casework/index.js';
import { MERGE_FIELDS, type MergeField } from '../contacts/index.js';
import { scopeOf } from './contact-centre.support.js';
import { MERGE_FIELD_LABELS, mergeConfirmView, mergeFindView } from './contact-centre.view-models.js';

const UUID = Type.String({ maxLength: 36 });
const pairParams = Type.Object({ id: UUID, other: UUID });
/** For each detail both records have, differently: "keep" (this record's) or "other". */
const mergeForm = staffForm(Object.fromEntries(MERGE_FIELDS.map((field) => [field, formField])));

/** Team leads run the contact centre's records; admins run everything. */
const MERGING_ROLES: StaffRole[] = ['team_lead', 'admin'];

export function mayMergeContacts(request: FastifyRequest): boolean {
  return request.staff !== undefined && MERGING_ROLES.includes(request.staff.role);
}

export function registerContactMergeRoutes(instance: FastifyInstance): void {
  const app = typed(instance);
  const { contacts } = app.domain;
  const leadsOnly = { preHandler: app.requireStaff(MERGING_ROLES) };

  app.get(
    '/staff/contacts/:id/merge',
    {
      ...leadsOnly,
      schema: {
        params: Type.Object({ id: UUID }),
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const scope = scopeOf(request);
      const contact = await contacts.contactFor(scope, id);
      const q = request.query.q?.trim() ?? '';
      const errors = new FormErrors();
      if (q && q.length < 2)
        errors.add('q', 'Enter at least 2 characters of a name, email, phone number or postcode');
      const results =
        q && !errors.any ? (await contacts.search(scope, q)).filter((c) => c.id !== contact.id) : [];
      reply.status(errors.any ? 400 : 200);
      return renderForStaff(request, reply, 'contact-centre/views/merge-find.njk', {
        ...mergeFindView(contact, q, Boolean(q) && !errors.any, results),
        ...errors.view(),
      });
    },
  );

  async function comparePage(
    request: FastifyRequest,
    reply: FastifyReply,
    pair: { id: string; other: string },
    chosen: Partial<Record<string, string>> = {},
    errors = new FormErrors(),
  ) {
    const preview = await contacts.mergePreview(scopeOf(request), pair.id, pair.other);
    reply.status(errors.any ? 400 : 200);
    return renderForStaff(request, reply, 'contact-centre/views/merge-confirm.njk', {
      ...mergeConfirmView(preview, MERGE_FIELDS, chosen),
      ...errors.view(),
    });
  }

  app.get(
    '/staff/contacts/:id/merge/:other',
    { ...leadsOnly, schema: { params: pairParams } },
    async (request, reply) => comparePage(request, reply, request.params),
  );

  app.post(
    '/staff/contacts/:id/merge/:other',
    { ...leadsOnly, schema: { params: pairParams, body: mergeForm } },
    async (request, reply) => {
      const { id, other } = request.params;
      const body: Partial<Record<string, string>> = request.body;
      const preview = await contacts.mergePreview(scopeOf(request), id, other);
      const errors = new FormErrors();
      const choices: Partial<Record<MergeField, 'keep' | 'other'>> = {};
      for (const field of preview.differing) {
        const choice = asText(body[field]);
        if (choice !== 'keep' && choice !== 'other')
          errors.add(field, `Choose which ${MERGE_FIELD_LABELS[field].toLowerCase()} to keep`);
        else choices[field] = choice;
      }
      if (errors.any) {
        const chosen = Object.fromEntries(MERGE_FIELDS.map((field) => [field, asText(body[field])]));
        return comparePage(request, reply, request.params, chosen, errors);
      }
      const result = await app.cases.mergeContacts(scopeOf(request), id, other, choices);
      const { merged } = result;
      await app.casework.recordAudit(actorOf(request), 'contact.merged', {
        contactId: id,
        mergedContactId: merged.id,
        // The removed record as it was, so that nothing it held is lost from the trail.
        merged: {
          name: merged.name,
          email: merged.email,
          emailConfirmed: merged.email_verified_at !== null,
          phone: merged.phone,
          postcode: merged.postcode,
          address: merged.address,
          createdAt: merged.created_at,
        },
        choices,
        casesMoved: result.cases,
        interactionsMoved: result.interactions,
      });
      return reply.redirect(`/staff/contacts/${id}?saved=merged`, 303);
    },
  );
}
