/**
 * Admin: services and their questions.
 *
 *   GET       /admin/services                               every service
 *   GET, POST /admin/services/new                           add a service
 *   GET, POST /admin/services/:code                         change a service
 *   GET, POST /admin/services/:code/questions/:question     add ("new"), change or delete a question
 *
 * The rules are ServicesService's; the forms are read and checked in service-form.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { adminForm, boundedChoices, boundedField, boundedText } from '../../infra/admin/index.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { DEFAULT_RECEIPT, RECEIPT_PLACEHOLDERS } from './receipt-template.js';
import {
  addServiceProblem,
  checkReceiptTemplate,
  DATATYPE_LABELS,
  datatypeItems,
  parseQuestionForm,
  questionToForm,
  readQuestionForm,
  readServiceForm,
  serviceInputFrom,
  serviceToForm,
  type ServiceFormValues,
} from './service-form.js';
import type { Service, ServiceInput } from './services.service.js';

const serviceParams = Type.Object({ code: Type.String({ maxLength: 63 }) });
const questionParams = Type.Object({
  code: Type.String({ maxLength: 63 }),
  question: Type.String({ maxLength: 63 }),
});
const savedQuery = Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) });

const serviceForm = adminForm({
  code: boundedField,
  name: boundedField,
  group: boundedField,
  description: boundedText(10_000),
  keywords: boundedField,
  offeredBy: boundedChoices(1000),
  defaultBody: boundedField,
  defaultTeam: boundedField,
  timescaleUnit: boundedField,
  timescaleAmount: boundedField,
  calendar: boundedField,
  whatHappensNext: boundedText(10_000),
  receiptSubject: boundedField,
  receiptBody: boundedText(20_000),
  flags: boundedChoices(20),
  photosMax: boundedField,
});

const questionForm = adminForm({
  action: boundedField,
  code: boundedField,
  text: boundedField,
  hint: boundedField,
  datatype: boundedField,
  flags: boundedChoices(20),
  options: boundedText(20_000),
  position: boundedField,
});

export const serviceAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { domain } = app;
  const render = app.renderAdminPage;

  async function serviceOr404(code: string): Promise<Service> {
    const service = await domain.services.get(code);
    if (!service) throw new AppError('not_found', `There is no service "${code}"`);
    return service;
  }

  // ---------------------------------------------------------------- services
  app.get('/admin/services', async (request, reply) => {
    const services = await domain.services.list({ activeOnly: false });
    return render(request, reply, 'services/views/services.njk', { services });
  });

  async function serviceFormContext(service: Partial<ServiceFormValues>, errors?: FormErrors) {
    const [bodies, teams, calendars] = await Promise.all([
      domain.organisations.bodies(),
      domain.organisations.teams(),
      domain.calendars.list(),
    ]);
    return {
      values: service,
      defaultReceipt: DEFAULT_RECEIPT,
      receiptPlaceholders: RECEIPT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', '),
      offeredByItems: bodies.map((b) => ({
        value: b.code,
        text: b.name,
        checked: (service.offeredBy ?? []).includes(b.code),
      })),
      teamOptions: [
        { value: '', text: 'No team: the body decides' },
        ...teams.map((t) => ({
          value: t.code,
          text: `${bodies.find((b) => b.id === t.bodyId)?.name ?? ''}: ${t.name}`,
          selected: t.code === service.defaultTeam,
        })),
      ],
      bodyOptions: bodies.map((b) => ({
        value: b.code,
        text: b.name,
        selected: b.code === service.defaultBody,
      })),
      calendarOptions: [
        ...(calendars.some((c) => c.code === 'standard')
          ? []
          : [{ value: 'standard', text: 'Standard working week' }]),
        ...calendars.map((c) => ({ value: c.code, text: c.name, selected: c.code === service.calendar })),
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  app.get('/admin/services/new', async (request, reply) =>
    render(request, reply, 'services/views/service-form.njk', {
      isNew: true,
      ...(await serviceFormContext({
        isPublic: true,
        active: true,
        photosAllowed: true,
        photosMax: '3',
        timescaleUnit: 'working_days',
        calendar: 'standard',
      })),
    }),
  );

  app.post('/admin/services/new', { schema: { body: serviceForm } }, async (request, reply) => {
    const values = readServiceForm(request.body);
    return saveService(request, reply, values, undefined);
  });

  app.get(
    '/admin/services/:code',
    { schema: { params: serviceParams, querystring: savedQuery } },
    async (request, reply) => {
      const service = await serviceOr404(request.params.code);
      return render(request, reply, 'services/views/service-form.njk', {
        isNew: false,
        service,
        saved: request.query.saved === '1',
        datatypeLabels: DATATYPE_LABELS,
        ...(await serviceFormContext(serviceToForm(service))),
      });
    },
  );

  app.post(
    '/admin/services/:code',
    { schema: { params: serviceParams, body: serviceForm } },
    async (request, reply) => {
      const service = await serviceOr404(request.params.code);
      const values = { ...readServiceForm(request.body), code: service.code };
      return saveService(request, reply, values, service);
    },
  );

  async function saveService(
    request: FastifyRequest,
    reply: FastifyReply,
    values: ServiceFormValues,
    existing: Service | undefined,
  ) {
    const errors = new FormErrors();
    const amount = Number(values.timescaleAmount);
    if (!values.timescaleAmount || !Number.isInteger(amount) || amount < 0) {
      errors.add('timescaleAmount', 'Enter the timescale as a whole number, for example 5');
    }
    const photosMax = Number(values.photosMax || '0');
    if (!Number.isInteger(photosMax) || photosMax < 0 || photosMax > 10) {
      errors.add('photosMax', 'Enter how many photos, from 0 to 10');
    }
    if (!existing && (await domain.services.get(values.code))) {
      errors.add('code', `A service with the code "${values.code}" already exists`);
    }
    const receiptTemplate = checkReceiptTemplate(values, errors);
    const input: ServiceInput = {
      code: values.code,
      name: values.name,
      group: values.group,
      description: values.description,
      keywords: values.keywords
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
      isPublic: values.isPublic,
      active: values.active,
      offeredBy: values.offeredBy,
      definition: {
        ...(existing?.definition ?? { questions: [] }),
        defaultBody: values.defaultBody,
        ...(values.defaultTeam ? { defaultTeam: values.defaultTeam } : { defaultTeam: undefined }),
        timescale: { unit: values.timescaleUnit, amount },
        calendar: values.calendar || 'standard',
        whatHappensNext: values.whatHappensNext,
        anonymousAllowed: values.anonymousAllowed,
        photos: { allowed: values.photosAllowed, required: values.photosRequired, max: photosMax },
        receiptTemplate,
      },
    };
    for (const problem of await domain.services.problems(input)) addServiceProblem(errors, problem);
    if (errors.any) {
      reply.status(400);
      return render(request, reply, 'services/views/service-form.njk', {
        isNew: !existing,
        service: existing,
        datatypeLabels: DATATYPE_LABELS,
        ...(await serviceFormContext(values, errors)),
      });
    }
    await domain.services.save(input);
    request.log.info({ staffId: request.staff?.id, service: input.code }, 'service saved');
    return reply.redirect(`/admin/services/${encodeURIComponent(input.code)}?saved=1`, 303);
  }

  // ---------------------------------------------------------------- questions
  app.get(
    '/admin/services/:code/questions/:question',
    { schema: { params: questionParams } },
    async (request, reply) => {
      const { code, question: questionCode } = request.params;
      const service = await serviceOr404(code);
      const question =
        questionCode === 'new'
          ? undefined
          : service.definition.questions.find((q) => q.code === questionCode);
      if (questionCode !== 'new' && !question) throw new AppError('not_found');
      return render(request, reply, 'services/views/question-form.njk', {
        service,
        isNew: !question,
        values: question ? questionToForm(question) : { datatype: 'singlevaluelist', position: '' },
        datatypeItems: datatypeItems(question?.datatype ?? 'singlevaluelist'),
      });
    },
  );

  app.post(
    '/admin/services/:code/questions/:question',
    { schema: { params: questionParams, body: questionForm } },
    async (request, reply) => {
      const { code, question: questionCode } = request.params;
      const service = await serviceOr404(code);
      const body = request.body;
      const isNew = questionCode === 'new';
      const existingIndex = service.definition.questions.findIndex((q) => q.code === questionCode);
      if (!isNew && existingIndex === -1) throw new AppError('not_found');

      if (asText(body.action) === 'delete' && !isNew) {
        const definition = {
          ...service.definition,
          questions: service.definition.questions.filter((q) => q.code !== questionCode),
        };
        const problems = await domain.services.problems(serviceInputFrom(service, definition));
        if (problems.length) throw new AppError('conflict', problems.join('; '));
        await domain.services.save(serviceInputFrom(service, definition));
        return reply.redirect(`/admin/services/${encodeURIComponent(service.code)}?saved=1#questions`, 303);
      }

      const values = readQuestionForm(body);
      const errors = new FormErrors();
      const question = parseQuestionForm(values, errors);
      if (
        question &&
        service.definition.questions.some((q, i) => q.code === question.code && i !== existingIndex)
      ) {
        errors.add('code', `${service.name} already has a question with the code "${question.code}"`);
      }
      let definition = service.definition;
      if (question && !errors.any) {
        const questions = [...service.definition.questions];
        if (isNew) questions.push(question);
        else questions[existingIndex] = question;
        // Position: 1-based place in the list, as the admin sees it.
        const position = Number(values.position);
        if (values.position && Number.isInteger(position) && position >= 1) {
          const index = questions.indexOf(question);
          questions.splice(index, 1);
          questions.splice(Math.min(position - 1, questions.length), 0, question);
        }
        definition = { ...service.definition, questions };
        for (const problem of await domain.services.problems(serviceInputFrom(service, definition))) {
          errors.add(
            /options/.test(problem) ? 'options' : 'code',
            problem.replace(/^question \d+ \([^)]*\): /, ''),
          );
        }
      }
      if (errors.any) {
        reply.status(400);
        return render(request, reply, 'services/views/question-form.njk', {
          service,
          isNew,
          values,
          datatypeItems: datatypeItems(values.datatype),
          ...errors.view(),
        });
      }
      await domain.services.save(serviceInputFrom(service, definition));
      return reply.redirect(`/admin/services/${encodeURIComponent(service.code)}?saved=1#questions`, 303);
    },
  );
};
