/**
 * The contact centre's pages for callers: find a caller (name, email, phone, postcode), add a new one
 * (after being shown anyone who may already be them), the contact page with everything about that
 * person (details, cases, interactions and emails), logging an interaction and correcting details.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { InteractionKind } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { actorOf, renderForStaff } from '../casework/casework.routes-support.js';
import {
  INTERACTION_KINDS,
  looksLikePhone,
  normalisePostcode,
  type CallerDetails,
  type ContactMatch,
} from '../contacts/contacts.service.js';
import { contactIdOf, contactParams, scopeOf, takeFinishedReport } from './contact-centre.support.js';
import { mayMergeContacts } from './merge.routes.js';

type Body = Record<string, unknown>;

function render(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context: Record<string, unknown>,
) {
  return renderForStaff(request, reply, `contact-centre/views/${template}`, context);
}

function callerFromForm(body: Body): CallerDetails {
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

export function registerContactCentreRoutes(app: FastifyInstance): void {
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
      const q = (request.query as { q?: string }).q?.trim() ?? '';
      const errors = new FormErrors();
      if (q && q.length < 2)
        errors.add('q', 'Enter at least 2 characters of a name, email, phone number or postcode');
      const results = q && !errors.any ? await contacts.search(scopeOf(request), q) : [];
      if (q && !errors.any) await app.casework.recordAudit(actorOf(request), 'contact.searched', { q });
      reply.status(errors.any ? 400 : 200);
      return render(request, reply, 'contacts.njk', {
        q,
        searched: Boolean(q) && !errors.any,
        results,
        newCallerHref: `/staff/contacts/new${q ? `?${new URLSearchParams(prefillFrom(q) as Record<string, string>)}` : ''}`,
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
    return render(request, reply, 'new-contact.njk', {
      values,
      matches: (extra.matches ?? []).map((m) => ({
        ...m,
        line: [m.email, m.phone, m.postcode].filter(Boolean).join(' · '),
      })),
      shownIds: (extra.matches ?? []).map((m) => m.id).join(','),
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
    async (request, reply) => newCallerPage(request, reply, request.query as CallerDetails),
  );

  app.post('/staff/contacts/new', staffOnly, async (request, reply) => {
    const body = request.body as Body;
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
      errors.add('confirmNew', 'Choose the caller from the contacts above, or confirm they are none of them');
      return newCallerPage(request, reply, values, { matches, errors });
    }
    const created = await contacts.createCaller(scope, values, { notAnyOf: matches.map((m) => m.id) });
    await app.casework.recordAudit(actorOf(request), 'contact.created', { contactId: created.id });
    return reply.redirect(`/staff/contacts/${created.id}?saved=created`, 303);
  });

  // ------------------------------------------------------------------ the contact page
  async function contactPage(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { values?: Record<string, string>; errors?: FormErrors } = {},
  ) {
    const scope = scopeOf(request);
    const actor = actorOf(request);
    const contact = await contacts.contactFor(scope, contactIdOf(request));
    const [cases, interactions, emails] = await Promise.all([
      app.casework.casesOfContact(actor, contact.id),
      contacts.interactions(scope, contact.id),
      contact.email ? app.casework.emailsTo(actor, contact.email) : [],
    ]);
    await app.casework.recordAudit(actor, 'contact.viewed', { contactId: contact.id });
    const errors = extra.errors ?? new FormErrors();
    const values = extra.values ?? { kind: 'call', direction: 'inbound' };
    const finished = await takeFinishedReport(request, contact.id);
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'contact.njk', {
      contact,
      cases,
      interactions: interactions.map((i) => ({ ...i, kindLabel: INTERACTION_KINDS[i.kind] })),
      emails,
      finished,
      mayMerge: mayMergeContacts(request),
      saved: (request.query as { saved?: string }).saved,
      values,
      kindItems: Object.entries(INTERACTION_KINDS).map(([value, text]) => ({
        value,
        text,
        checked: values.kind === value,
      })),
      directionItems: [
        { value: 'inbound', text: 'From the resident', checked: values.direction === 'inbound' },
        { value: 'outbound', text: 'From us to the resident', checked: values.direction === 'outbound' },
      ],
      caseItems: [
        { value: '', text: 'No case' },
        ...cases.map((c) => ({
          value: c.reference,
          text: `${c.reference}: ${c.service_name}`,
          selected: values.case === c.reference,
        })),
      ],
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
    async (request, reply) => contactPage(request, reply),
  );

  app.post(
    '/staff/contacts/:id/interactions',
    { ...staffOnly, schema: contactParams },
    async (request, reply) => {
      const body = request.body as Body;
      const scope = scopeOf(request);
      const contact = await contacts.contactFor(scope, contactIdOf(request));
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
            kind: values.kind as InteractionKind,
            direction: values.direction as 'inbound' | 'outbound',
            summary: values.summary,
          });
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
          for (const p of error.fieldErrors) errors.add(p.field, p.message);
        }
      }
      if (errors.any) return contactPage(request, reply, { values, errors });
      return reply.redirect(`/staff/contacts/${contact.id}?saved=interaction#interactions`, 303);
    },
  );

  // ------------------------------------------------------------------ correcting details
  async function editPage(
    request: FastifyRequest,
    reply: FastifyReply,
    values?: CallerDetails,
    errors = new FormErrors(),
  ) {
    const contact = await contacts.contactFor(scopeOf(request), contactIdOf(request));
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'edit-contact.njk', {
      contact,
      values: values ?? {
        name: contact.name ?? '',
        phone: contact.phone ?? '',
        postcode: contact.postcode ?? '',
        address: contact.address ?? '',
      },
      ...errors.view(),
    });
  }

  app.get('/staff/contacts/:id/edit', { ...staffOnly, schema: contactParams }, async (request, reply) =>
    editPage(request, reply),
  );

  app.post('/staff/contacts/:id/edit', { ...staffOnly, schema: contactParams }, async (request, reply) => {
    const values = callerFromForm(request.body as Body);
    try {
      await contacts.updateCaller(scopeOf(request), contactIdOf(request), values);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      const errors = new FormErrors();
      for (const p of error.fieldErrors) errors.add(p.field, p.message);
      return editPage(request, reply, values, errors);
    }
    await app.casework.recordAudit(actorOf(request), 'contact.updated', { contactId: contactIdOf(request) });
    return reply.redirect(`/staff/contacts/${contactIdOf(request)}?saved=details`, 303);
  });
}
