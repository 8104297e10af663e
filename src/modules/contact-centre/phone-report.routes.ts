/**
 * A report taken over the phone for a caller the agent has found (or added): where, what, then the
 * service's questions and what the caller said, on three pages that work without JavaScript. It is the
 * report journey's phone channel: the same journey engine (src/infra/journey) and the same step rules as
 * the web journey (choosing the place and the service, reading the answers, from the reports module),
 * with the agent's own pages and wording. It goes through the same intake as the web (routing, receipt,
 * team notice, delivery) with channel "phone", the found contact as the reporter (never a second record),
 * and the call logged against them. Before it is sent, open cases of that service nearby are offered:
 * the caller can follow one instead.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { defineStep, mountJourney, type JourneyChannel, type StepPage } from '../../infra/journey/engine.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { formatDateTime } from '../../lib/dates.js';
import { normaliseReference } from '../../lib/reference.js';
import { renderForStaff } from '../casework/index.js';
import { questionFieldId, questionItems } from '../services/index.js';
import {
  CallerReportBody,
  choosePlace,
  chooseService,
  PlaceBody,
  readAnswers,
  searchPlaces,
  ServiceBody,
  servicesHere,
  ticked,
} from '../reports/index.js';
import {
  contactIdOf,
  contactParams,
  finish,
  readReport,
  saveReport,
  scopeOf,
  type PhoneReport,
} from './contact-centre.support.js';

/** One request's view of the phone report: the agent's request and the caller it is for. */
interface CallContext {
  request: FastifyRequest;
  contact: Awaited<ReturnType<FastifyInstance['domain']['contacts']['contactFor']>>;
}

const FollowBody = Type.Object(
  {
    _csrf: Type.Optional(Type.String({ maxLength: 200 })),
    reference: Type.Optional(Type.String({ maxLength: 40 })),
    updates: Type.Optional(Type.String({ maxLength: 10 })),
  },
  { additionalProperties: false },
);

export function registerPhoneReportRoutes(instance: FastifyInstance): void {
  const app = typed(instance);
  const staffOnly = { preHandler: app.requireStaff(), schema: contactParams };
  const { contacts, gazetteer, routing, services, reports } = app.domain;
  const lookups = { gazetteer, routing };
  const base = (contactId: string) => `/staff/contacts/${contactId}/report`;
  const page = (template: string, model: Record<string, unknown>, status?: number): StepPage => ({
    template: `contact-centre/views/${template}`,
    model,
    ...(status ? { status } : {}),
  });

  const where = defineStep({
    name: 'where',
    body: PlaceBody,
    query: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }),
    initial: (_ctx: CallContext, _report: PhoneReport, query) => ({ q: query.q ?? '' }),
    typed: (_ctx, _report, body) => ({ q: asText(body.q) }),
    async page(_ctx, report, form) {
      const q = String(form.values.q ?? '');
      const results = await searchPlaces(lookups, q, form.errors, 'Try a postcode or a street name');
      return page(
        'report-where.njk',
        { q, chosen: report.placeLabel, results, ...form.errors.view() },
        form.errors.any ? 400 : 200,
      );
    },
    async apply(_ctx, report, body) {
      // Only a place from the search: the agent's page has no map to drop a pin on.
      const errors = await choosePlace(lookups, report, body, { pin: false });
      return errors ? { outcome: 'invalid', values: { q: asText(body.q) }, errors } : { outcome: 'next' };
    },
    next: () => 'what',
  });

  const what = defineStep({
    name: 'what',
    body: ServiceBody,
    initial: () => ({}),
    typed: () => ({}),
    async page(_ctx: CallContext, report: PhoneReport, form) {
      const serviceItems = (await servicesHere(lookups, report)).map((s) => ({
        value: s.code,
        text: s.name,
        hint: s.group ? { text: s.group } : undefined,
        checked: s.code === report.serviceCode,
      }));
      return page('report-what.njk', { placeLabel: report.placeLabel, serviceItems, ...form.errors.view() });
    },
    async apply(_ctx, report, body) {
      if (await chooseService(lookups, report, asText(body.service))) return { outcome: 'next' };
      const errors = new FormErrors();
      errors.add('service', 'Choose what the problem is');
      return { outcome: 'invalid', values: {}, errors };
    },
    next: () => 'details',
  });

  // The service's questions and what the caller said, on one page that sends the report.
  const details = defineStep({
    name: 'details',
    body: CallerReportBody,
    initial: (ctx: CallContext) => ({
      answers: {},
      description: '',
      locationDetail: '',
      updates: Boolean(ctx.contact.email),
    }),
    typed: (_ctx: CallContext, _report: PhoneReport, body) => ({
      answers: body,
      description: asText(body.description),
      locationDetail: asText(body.locationDetail),
      updates: ticked(body.updates, 'yes'),
    }),
    async page(_ctx, report: PhoneReport, form) {
      const service = (await services.get(report.serviceCode!))!;
      const nearby = await reports.nearbyOpen(
        { lat: report.lat!, lon: report.lon! },
        app.config.CIVICDESK_DUPLICATE_RADIUS_METRES,
        { serviceCode: service.code, includePrivate: true, limit: 5 },
      );
      const answers = (form.values.answers ?? {}) as Record<string, unknown>;
      return page('report-details.njk', {
        service,
        placeLabel: report.placeLabel,
        nearby,
        questions: questionItems(
          service.definition.questions.filter((q) => !q.automated),
          answers,
          form.errors,
        ),
        values: form.values,
        ...form.errors.view(),
      });
    },
    async apply({ request, contact }, report, body) {
      const service = (await services.get(report.serviceCode!))!;
      const { raw, stop, problems } = readAnswers(service, body);
      const values = {
        answers: raw,
        description: asText(body.description),
        locationDetail: asText(body.locationDetail),
        updates: ticked(body.updates, 'yes'),
      };
      const errors = new FormErrors();
      if (stop) errors.add(questionFieldId(service.definition.questions[0]?.code ?? 'description'), stop);
      for (const p of problems) errors.add(p.field, p.message);
      if (!values.description) errors.add('description', 'Enter what the caller told you about the problem');
      if (values.updates && !contact.email)
        errors.add('updates', 'The caller has no email address: add one to their details to send updates');
      if (errors.any) return { outcome: 'invalid', values, errors };

      const staff = request.staff!;
      try {
        const result = await app.intake.submit({
          serviceCode: service.code,
          lat: report.lat!,
          lon: report.lon!,
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
          const own =
            ['description', 'locationDetail', 'updates'].includes(field) || field.startsWith('answers-');
          errors.add(own ? field : 'description', p.message);
        }
        if (!errors.any) errors.add('description', error.message);
        return { outcome: 'invalid', values, errors };
      }
      // finish() has ended the report in the session and kept the reference to show on the caller's page.
      return { outcome: 'leave', to: `/staff/contacts/${contact.id}#cases`, save: false };
    },
    next: () => 'details',
  });

  const channel: JourneyChannel<PhoneReport, CallContext> = {
    steps: [where, what, details],
    route: (step) => `/staff/contacts/:id/report/${step}`,
    shared: { params: contactParams.params, preHandler: staffOnly.preHandler },
    async open(request) {
      const contact = await contacts.contactFor(scopeOf(request), contactIdOf(request));
      const report = await readReport(request, contact.id);
      // No report in progress for this caller (sent, or started for another): back to the caller.
      return report
        ? { ctx: { request, contact }, state: report }
        : { redirect: `/staff/contacts/${contact.id}` };
    },
    save: (ctx, report) => saveReport(ctx.request, report),
    path: (ctx, step) => `${base(ctx.contact.id)}/${step}`,
    async missing(_ctx, report, step) {
      if (step === 'where') return undefined;
      if (report.lat === undefined || report.lon === undefined) return 'where';
      return step === 'details' && !report.serviceCode ? 'what' : undefined;
    },
    render: (ctx, reply: FastifyReply, shown) =>
      renderForStaff(ctx.request, reply.status(shown.status), shown.template, {
        contact: ctx.contact,
        ...shown.model,
      }),
  };
  mountJourney(app, channel);

  // Start (or start again): a new report for this caller, with its own idempotency key.
  app.post(
    '/staff/contacts/:id/report',
    { ...staffOnly, schema: { ...contactParams, body: buttonForm } },
    async (request, reply) => {
      const contact = await contacts.contactFor(scopeOf(request), request.params.id);
      await saveReport(request, { id: crypto.randomUUID(), contactId: contact.id });
      return reply.redirect(
        `${base(contact.id)}/where${contact.postcode ? `?q=${encodeURIComponent(contact.postcode)}` : ''}`,
        303,
      );
    },
  );

  // The caller's problem is already reported: they follow that case instead of a second one being made.
  app.post(
    '/staff/contacts/:id/report/follow',
    { ...staffOnly, schema: { ...contactParams, body: FollowBody } },
    async (request, reply) => {
      const contact = await contacts.contactFor(scopeOf(request), request.params.id);
      if (!(await readReport(request, contact.id)))
        return reply.redirect(`/staff/contacts/${contact.id}`, 303);
      const reference = normaliseReference(asText(request.body.reference));
      const staff = request.staff!;
      const result = await reports.follow(
        reference,
        {
          contactId: contact.id,
          email: contact.email,
          wantsUpdates: Boolean(contact.email) && ticked(request.body.updates, 'yes'),
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
    },
  );
}
