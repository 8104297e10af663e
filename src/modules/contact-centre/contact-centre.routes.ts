/**
 * The contact centre's pages for callers: find a caller (name, email, phone, postcode), add a new one
 * (after being shown anyone who may already be them), the contact page with everything about that
 * person (details, cases, interactions and emails), logging an interaction and correcting details.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { InteractionKind } from '../../db/database.js';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { actorOf, formChoices, formField, formText, renderForStaff, staffForm } from '../casework/index.js';
import {
  looksLikePhone,
  normalisePostcode,
  type CallerDetails,
  type ContactMatch,
} from '../contacts/index.js';
import { contactParams, scopeOf, takeFinishedReport } from './contact-centre.support.js';
import {
  contactPageView,
  contactSearchView,
  editContactView,
  newCallerView,
} from './contact-centre.view-models.js';
import { mayMergeContacts } from './merge.routes.js';

const VIEWS = 'contact-centre/views/';

/** A caller's details as the new-caller and change-details forms send them. */
const callerFields = {
  name: formField,
  email: formField,
  phone: formField,
  postcode: formField,
  address: formText(2000),
};
const newCallerForm = staffForm({
  ...callerFields,
  /** The ids of the possible matches the agent was shown (a list with no fixed length: room for 1,000). */
  shown: formText(40_000),
  confirmNew: formChoices(1, 10),
});
const editCallerForm = staffForm(callerFields);
const interactionForm = staffForm({
  kind: formField,
  direction: formField,
  case: formField,
  summary: formText(),
});

function callerFromForm(body: Partial<Record<keyof typeof callerFields, string>>): CallerDetails {
  return {
    name: asText(body.name),
    email: asText(body.email),
    phone: asText(body.phone),
    postcode: asText(body.postcode),
    address: asText(body.address),
  };
}

/** What an agent typed in the search box, put in the right field of the new-caller form. */
function prefillFrom(q: string): CallerDetails {
  const text = q.trim();
  if (!text) return {};
  if (text.includes('@')) return { email: text };
  if (looksLikePhone(text)) return { phone: text };
  if (normalisePostcode(text)) return { postcode: normalisePostcode(text) };
  return { name: text };
}

export function registerContactCentreRoutes(instance: FastifyInstance): void {
  const app = typed(instance);
  const staffOnly = { preHandler: app.requireStaff() };
  const { contacts } = app.domain;

  // ------------------------------------------------------------------ find a caller
  app.get(
    '/staff/contacts',
    {
      ...staffOnly,
      schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }) },
    },
    async (request, reply) => {
      const q = request.query.q?.trim() ?? '';
      const errors = new FormErrors();
      if (q && q.length < 2)
        errors.add('q', 'Enter at least 2 characters of a name, email, phone number or postcode');
      const results = q && !errors.any ? await contacts.search(scopeOf(request), q) : [];
      if (q && !errors.any) await app.casework.recordAudit(actorOf(request), 'contact.searched', { q });
      reply.status(errors.any ? 400 : 200);
      const prefill = Object.entries(prefillFrom(q)).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      );
      const newCallerHref = `/staff/contacts/new${q ? `?${new URLSearchParams(prefill)}` : ''}`;
      return renderForStaff(request, reply, `${VIEWS}contacts.njk`, {
        ...contactSearchView(q, Boolean(q) && !errors.any, results, newCallerHref),
        ...errors.view(),
      });
    },
  );

  // ------------------------------------------------------------------ a new caller
  function newCallerPage(
    request: FastifyRequest,
    reply: FastifyReply,
    values: CallerDetails,
    extra: { matches?: ContactMatch[]; errors?: FormErrors; status?: number } = {},
  ) {
    const errors = extra.errors ?? new FormErrors();
    reply.status(extra.status ?? (errors.any ? 400 : 200));
    return renderForStaff(request, reply, `${VIEWS}new-contact.njk`, {
      ...newCallerView({ ...values }, extra.matches ?? []),
      ...errors.view(),
    });
  }

  app.get(
    '/staff/contacts/new',
    {
      ...staffOnly,
      schema: {
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 200 })),
          email: Type.Optional(Type.String({ maxLength: 254 })),
          phone: Type.Optional(Type.String({ maxLength: 50 })),
          postcode: Type.Optional(Type.String({ maxLength: 10 })),
        }),
      },
    },
    async (request, reply) => newCallerPage(request, reply, request.query),
  );

  app.post(
    '/staff/contacts/new',
    { ...staffOnly, schema: { body: newCallerForm } },
    async (request, reply) => {
      const body = request.body;
      const values = callerFromForm(body);
      const scope = scopeOf(request);
      const errors = new FormErrors();
      for (const p of contacts.callerProblems(values)) errors.add(p.field, p.message);
      if (errors.any) return newCallerPage(request, reply, values, { errors });

      // The agent has been shown these and said the caller is none of them.
      const shown = asText(body.shown).split(',').filter(Boolean);
      const confirmed = asList(body.confirmNew).includes('yes');
      const matches = await contacts.likelyDuplicates(scope, values);
      const unseen = matches.filter((m) => !shown.includes(m.id));
      if (unseen.length) return newCallerPage(request, reply, values, { matches, status: 200 });
      if (matches.length && !confirmed) {
        errors.add(
          'confirmNew',
          'Choose the caller from the contacts above, or confirm they are none of them',
        );
        return newCallerPage(request, reply, values, { matches, errors });
      }
      const created = await contacts.createCaller(scope, values, { notAnyOf: matches.map((m) => m.id) });
      await app.casework.recordAudit(actorOf(request), 'contact.created', { contactId: created.id });
      return reply.redirect(`/staff/contacts/${created.id}?saved=created`, 303);
    },
  );

  // ------------------------------------------------------------------ the contact page
  async function contactPage(
    request: FastifyRequest,
    reply: FastifyReply,
    contactId: string,
    extra: { saved?: string | undefined; values?: Record<string, string>; errors?: FormErrors } = {},
  ) {
    const scope = scopeOf(request);
    const actor = actorOf(request);
    const contact = await contacts.contactFor(scope, contactId);
    const [cases, interactions, emails] = await Promise.all([
      app.casework.casesOfContact(actor, contact.id),
      contacts.interactions(scope, contact.id),
      contact.email ? app.casework.emailsTo(actor, contact.email) : [],
    ]);
    await app.casework.recordAudit(actor, 'contact.viewed', { contactId: contact.id });
    const errors = extra.errors ?? new FormErrors();
    const finished = await takeFinishedReport(request, contact.id);
    reply.status(errors.any ? 400 : 200);
    return renderForStaff(request, reply, `${VIEWS}contact.njk`, {
      ...contactPageView({
        contact,
        cases,
        interactions,
        emails,
        finished,
        mayMerge: mayMergeContacts(request),
        saved: extra.saved,
        values: extra.values ?? { kind: 'call', direction: 'inbound' },
      }),
      ...errors.view(),
    });
  }

  app.get(
    '/staff/contacts/:id',
    {
      ...staffOnly,
      schema: {
        ...contactParams,
        querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) }),
      },
    },
    async (request, reply) => contactPage(request, reply, request.params.id, { saved: request.query.saved }),
  );

  app.post(
    '/staff/contacts/:id/interactions',
    { ...staffOnly, schema: { ...contactParams, body: interactionForm } },
    async (request, reply) => {
      const { body } = request;
      const scope = scopeOf(request);
      const contact = await contacts.contactFor(scope, request.params.id);
      const values = {
        kind: asText(body.kind),
        direction: asText(body.direction),
        case: asText(body.case),
        summary: asText(body.summary),
      };
      const errors = new FormErrors();
      let caseId: string | null = null;
      if (values.case) {
        const cases = await app.casework.casesOfContact(actorOf(request), contact.id);
        if (!cases.some((c) => c.reference === values.case))
          errors.add('case', 'Choose one of this resident’s cases, or no case');
        else caseId = (await app.casework.caseFor(actorOf(request), values.case)).id;
      }
      if (!errors.any) {
        try {
          await contacts.logInteraction(scope, {
            contactId: contact.id,
            caseId,
            // Typed as the choices the form offers; logInteraction refuses anything else (a box left
            // unticked), with a message for the page.
            kind: values.kind as InteractionKind,
            direction: values.direction as 'inbound' | 'outbound',
            summary: values.summary,
          });
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
          for (const p of error.fieldErrors) errors.add(p.field, p.message);
        }
      }
      if (errors.any) return contactPage(request, reply, contact.id, { values, errors });
      return reply.redirect(`/staff/contacts/${contact.id}?saved=interaction#interactions`, 303);
    },
  );

  // ------------------------------------------------------------------ correcting details
  async function editPage(
    request: FastifyRequest,
    reply: FastifyReply,
    contactId: string,
    values?: CallerDetails,
    errors = new FormErrors(),
  ) {
    const contact = await contacts.contactFor(scopeOf(request), contactId);
    reply.status(errors.any ? 400 : 200);
    return renderForStaff(request, reply, `${VIEWS}edit-contact.njk`, {
      ...editContactView(contact, values ? { ...values } : undefined),
      ...errors.view(),
    });
  }

  app.get('/staff/contacts/:id/edit', { ...staffOnly, schema: contactParams }, async (request, reply) =>
    editPage(request, reply, request.params.id),
  );

  app.post(
    '/staff/contacts/:id/edit',
    { ...staffOnly, schema: { ...contactParams, body: editCallerForm } },
    async (request, reply) => {
      const contactId = request.params.id;
      const values = callerFromForm(request.body);
      try {
        await contacts.updateCaller(scopeOf(request), contactId, values);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
        const errors = new FormErrors();
        for (const p of error.fieldErrors) errors.add(p.field, p.message);
        return editPage(request, reply, contactId, values, errors);
      }
      await app.casework.recordAudit(actorOf(request), 'contact.updated', { contactId });
      return reply.redirect(`/staff/contacts/${contactId}?saved=details`, 303);
    },
  );
}
