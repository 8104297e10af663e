/**
 * A report taken over the phone for a caller the agent has found (or added): where, what, then the
 * service's questions and what the caller said, on three pages that work without JavaScript. It goes
 * through the same intake as the web (routing, receipt, team notice, delivery) with channel "phone",
 * the found contact as the reporter (never a second record), and the call logged against them.
 * Before it is sent, open cases of that service nearby are offered: the caller can follow one instead.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { formatDateTime } from '../../lib/dates.js';
import { normaliseReference } from '../../lib/reference.js';
import { renderForStaff } from '../casework/casework.routes-support.js';
import { checkAnswers } from '../services/answers.js';
import { answersFromForm, questionFieldId, questionItems } from '../services/question-fields.js';
import { stopFor } from '../services/service-definition.js';
import {
  contactIdOf,
  contactParams,
  finish,
  readReport,
  saveReport,
  scopeOf,
} from './contact-centre.support.js';

type Body = Record<string, unknown>;

export function registerPhoneReportRoutes(app: FastifyInstance): void {
  const staffOnly = { preHandler: app.requireStaff(), schema: contactParams };
  const { contacts, gazetteer, routing, services, reports } = app.domain;
  const base = (contactId: string) => `/staff/contacts/${contactId}/report`;

  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    context: Record<string, unknown>,
  ) {
    return renderForStaff(request, reply, `contact-centre/views/${template}`, context);
  }

  /** The caller, and the report in progress for them (or a redirect to where it should be). */
  async function load(request: FastifyRequest) {
    const contact = await contacts.contactFor(scopeOf(request), contactIdOf(request));
    const report = await readReport(request, contact.id);
    return { contact, report };
  }

  // Start (or start again): a new report for this caller, with its own idempotency key.
  app.post('/staff/contacts/:id/report', staffOnly, async (request, reply) => {
    const contact = await contacts.contactFor(scopeOf(request), contactIdOf(request));
    await saveReport(request, { id: crypto.randomUUID(), contactId: contact.id });
    return reply.redirect(
      `${base(contact.id)}/where${contact.postcode ? `?q=${encodeURIComponent(contact.postcode)}` : ''}`,
      303,
    );
  });

  // ------------------------------------------------------------------ where
  async function wherePage(
    request: FastifyRequest,
    reply: FastifyReply,
    q: string,
    errors = new FormErrors(),
  ) {
    const { contact, report } = await load(request);
    if (!report) return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    const results = q.trim().length >= 2 ? await gazetteer.search(q, { limit: 10 }) : [];
    if (q && q.trim().length < 2)
      errors.add('q', 'Enter at least 2 characters of a postcode, street or place');
    else if (q && results.length === 0)
      errors.add('q', `No places match ‘${q.trim()}’. Try a postcode or a street name`);
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'report-where.njk', {
      contact,
      q,
      chosen: report.placeLabel,
      results: results.map((r) => ({ value: r.id, text: r.label, hint: { text: r.detail } })),
      ...errors.view(),
    });
  }

  app.get(
    '/staff/contacts/:id/report/where',
    {
      ...staffOnly,
      schema: {
        ...contactParams,
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }),
      },
    },
    async (request, reply) => wherePage(request, reply, (request.query as { q?: string }).q ?? ''),
  );

  app.post('/staff/contacts/:id/report/where', staffOnly, async (request, reply) => {
    const { contact, report } = await load(request);
    if (!report) return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    const body = request.body as Body;
    const q = asText(body.q);
    const place = asText(body.place);
    const errors = new FormErrors();
    const found = place ? await gazetteer.find(place) : null;
    if (!found) {
      errors.add(
        q ? 'place' : 'q',
        q ? 'Select the place from the list' : 'Enter a postcode, street or place',
      );
      return wherePage(request, reply, q, errors);
    }
    const here = await routing.servicesAt(found.lon, found.lat);
    if (here.services.length === 0) {
      errors.add('place', (await routing.outsideAreaContact()).message);
      return wherePage(request, reply, q, errors);
    }
    Object.assign(report, { lat: found.lat, lon: found.lon, placeLabel: found.label });
    if (report.serviceCode && !here.services.some((s) => s.code === report.serviceCode))
      delete report.serviceCode;
    await saveReport(request, report);
    return reply.redirect(`${base(contact.id)}/what`, 303);
  });

  // ------------------------------------------------------------------ what
  async function whatPage(request: FastifyRequest, reply: FastifyReply, errors = new FormErrors()) {
    const { contact, report } = await load(request);
    if (!report) return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    if (report.lat === undefined || report.lon === undefined)
      return reply.redirect(`${base(contact.id)}/where`, 303);
    const here = await routing.servicesAt(report.lon, report.lat);
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'report-what.njk', {
      contact,
      placeLabel: report.placeLabel,
      serviceItems: here.services.map((s) => ({
        value: s.code,
        text: s.name,
        hint: s.group ? { text: s.group } : undefined,
        checked: s.code === report.serviceCode,
      })),
      ...errors.view(),
    });
  }

  app.get('/staff/contacts/:id/report/what', staffOnly, async (request, reply) => whatPage(request, reply));

  app.post('/staff/contacts/:id/report/what', staffOnly, async (request, reply) => {
    const { contact, report } = await load(request);
    if (!report || report.lat === undefined || report.lon === undefined)
      return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    const code = asText((request.body as Body).service);
    const here = await routing.servicesAt(report.lon, report.lat);
    if (!here.services.some((s) => s.code === code)) {
      const errors = new FormErrors();
      errors.add('service', 'Choose what the problem is');
      return whatPage(request, reply, errors);
    }
    report.serviceCode = code;
    await saveReport(request, report);
    return reply.redirect(`${base(contact.id)}/details`, 303);
  });

  // ------------------------------------------------------------------ details, and send
  async function detailsPage(
    request: FastifyRequest,
    reply: FastifyReply,
    values: {
      answers: Record<string, unknown>;
      description: string;
      locationDetail: string;
      updates: boolean;
    },
    errors = new FormErrors(),
  ) {
    const { contact, report } = await load(request);
    if (!report?.serviceCode || report.lat === undefined || report.lon === undefined)
      return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    const service = (await services.get(report.serviceCode))!;
    const nearby = await reports.nearbyOpen(
      { lat: report.lat, lon: report.lon },
      app.config.CIVICDESK_DUPLICATE_RADIUS_METRES,
      { serviceCode: service.code, includePrivate: true, limit: 5 },
    );
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'report-details.njk', {
      contact,
      service,
      placeLabel: report.placeLabel,
      nearby,
      questions: questionItems(
        service.definition.questions.filter((q) => !q.automated),
        values.answers,
        errors,
      ),
      values,
      ...errors.view(),
    });
  }

  app.get('/staff/contacts/:id/report/details', staffOnly, async (request, reply) => {
    const { contact } = await load(request);
    return detailsPage(request, reply, {
      answers: {},
      description: '',
      locationDetail: '',
      updates: Boolean(contact.email),
    });
  });

  app.post('/staff/contacts/:id/report/details', staffOnly, async (request, reply) => {
    const { contact, report } = await load(request);
    if (!report?.serviceCode || report.lat === undefined || report.lon === undefined)
      return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    const service = (await services.get(report.serviceCode))!;
    const body = request.body as Body;
    const values = {
      answers: answersFromForm(service.definition, body),
      description: asText(body.description),
      locationDetail: asText(body.locationDetail),
      updates: asList(body.updates).includes('yes'),
    };
    const errors = new FormErrors();
    const stop = stopFor(service.definition, values.answers as Record<string, string | string[]>);
    if (stop) errors.add(questionFieldId(service.definition.questions[0]?.code ?? 'description'), stop);
    const { problems } = checkAnswers(service.definition, values.answers);
    for (const p of problems) errors.add(questionFieldId(p.question), p.message);
    if (!values.description) errors.add('description', 'Enter what the caller told you about the problem');
    if (values.updates && !contact.email)
      errors.add('updates', 'The caller has no email address: add one to their details to send updates');
    if (errors.any) return detailsPage(request, reply, values, errors);

    const staff = request.staff!;
    try {
      const result = await app.intake.submit({
        serviceCode: service.code,
        lat: report.lat,
        lon: report.lon,
        description: values.description,
        locationDetail: values.locationDetail,
        answers: values.answers,
        reporter: {
          contactId: contact.id,
          ...(contact.name ? { name: contact.name } : {}),
          ...(contact.email ? { email: contact.email } : {}),
          wantsUpdates: values.updates,
        },
        channel: 'phone',
        idempotencyKey: `phone:${report.id}`,
        takenBy: { staffId: staff.id, bodyId: staff.bodyId },
      });
      const c = result.case;
      const sentTo = c.teamName ? `${c.bodyName} (${c.teamName})` : c.bodyName;
      await finish(request, {
        contactId: contact.id,
        reference: c.reference,
        message: `Sent to ${sentTo}${c.dueAt ? `, due by ${formatDateTime(c.dueAt)}` : ''}. Read the reference to the caller.`,
      });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      for (const p of error.fieldErrors) {
        const field = p.field.startsWith('answers.') ? questionFieldId(p.field.slice(8)) : p.field;
        errors.add(
          ['description', 'locationDetail', 'updates'].includes(field) || field.startsWith('answers-')
            ? field
            : 'description',
          p.message,
        );
      }
      if (!errors.any) errors.add('description', error.message);
      return detailsPage(request, reply, values, errors);
    }
    return reply.redirect(`/staff/contacts/${contact.id}#cases`, 303);
  });

  // The caller's problem is already reported: they follow that case instead of a second one being made.
  app.post('/staff/contacts/:id/report/follow', staffOnly, async (request, reply) => {
    const { contact, report } = await load(request);
    if (!report) return reply.redirect(`/staff/contacts/${contact.id}`, 303);
    const body = request.body as Body;
    const reference = normaliseReference(asText(body.reference));
    const staff = request.staff!;
    const result = await reports.follow(
      reference,
      {
        contactId: contact.id,
        email: contact.email,
        wantsUpdates: Boolean(contact.email) && asList(body.updates).includes('yes'),
        takenBy: { staffId: staff.id, bodyId: staff.bodyId },
      },
      app.jobs,
      app.config.baseUrl,
    );
    await finish(request, {
      contactId: contact.id,
      reference,
      message: result.followed
        ? `The caller now follows ${reference} instead of reporting it again; the call is logged.`
        : `The caller could not be added to ${reference}: they already follow it, or it has been closed.`,
    });
    return reply.redirect(`/staff/contacts/${contact.id}#cases`, 303);
  });
}
