/**
 * Administration pages (staff with the admin role): services and their questions, routing rules and the
 * routing test bench, bodies and teams, staff accounts and the audit trail, calendars, areas and the catalogue file. Every page works
 * without JavaScript; every form follows the GOV.UK pattern (POST → validate → 303, or the form again
 * with an error summary).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import {
  CatalogueInvalidError,
  CatalogueService,
  parseCatalogueText,
} from '../catalogue/catalogue.service.js';
import { RuleInvalidError, type RuleInput } from '../routing/routing.service.js';
import type { AnswerCondition } from '../routing/routing-engine.js';
import { QUESTION_DATATYPES, type Question } from '../services/service-definition.js';
import type { Service, ServiceInput } from '../services/services.service.js';
import { ROLE_LABELS } from '../staff/staff.service.js';
import { staffNavigation } from '../staff/staff.view-models.js';
import { DEFAULT_RECEIPT, RECEIPT_PLACEHOLDERS } from '../cases/report-emails.js';
import { fillTemplate } from '../../lib/email-template.js';
import { registerAreaRoutes } from './areas.routes.js';
import { registerCalendarRoutes } from './calendars.routes.js';
import { registerOrganisationRoutes } from './organisations.routes.js';
import { registerPeopleRoutes } from './people.routes.js';
import { registerDeliveryRoutes } from '../delivery/delivery.routes.js';
import { registerOpen311TargetRoutes } from '../delivery/open311/open311.routes.js';
import { registerResponseTemplateRoutes } from '../response-templates/response-templates.routes.js';
import { registerWebhookRoutes } from '../webhooks/webhooks.routes.js';
import { registerApiClientRoutes } from '../api-clients/api-clients.routes.js';
import { registerWorkflowRoutes } from '../casework/workflow.routes.js';

const NAVIGATION = [
  { href: '/admin/services', text: 'Services' },
  { href: '/admin/routing', text: 'Routing rules' },
  { href: '/admin/routing/test', text: 'Test bench' },
  { href: '/admin/organisations', text: 'Bodies and teams' },
  { href: '/admin/people', text: 'People' },
  { href: '/admin/delivery', text: 'Delivery' },
  { href: '/admin/workflow', text: 'Case workflow' },
  { href: '/admin/response-templates', text: 'Response templates' },
  { href: '/admin/webhooks', text: 'Webhooks' },
  { href: '/admin/api-clients', text: 'API keys' },
  { href: '/admin/calendars', text: 'Calendars' },
  { href: '/admin/areas', text: 'Areas' },
  { href: '/admin/catalogue', text: 'Catalogue file' },
  { href: '/admin/audit', text: 'Audit trail' },
];

const DATATYPE_LABELS: Record<(typeof QUESTION_DATATYPES)[number], string> = {
  string: 'Short text',
  text: 'Long text',
  number: 'Number',
  datetime: 'Date and time',
  singlevaluelist: 'Choose one option',
  multivaluelist: 'Choose one or more options',
  notice: 'Information only (asks nothing)',
};

const OPERATORS: AnswerCondition['operator'][] = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'answered',
  'not_answered',
];

type Body = Record<string, unknown>;

export default async function adminModule(app: FastifyInstance): Promise<void> {
  const { domain } = app;
  const adminOnly = { preHandler: app.requireStaff(['admin']) };

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    template: string,
    context: object = {},
  ) {
    await request.ensureSession(); // every admin page has the sign-out form
    const path = request.url.split('?')[0] ?? '';
    return reply.view(`admin/views/${template}`, {
      staff: request.staff,
      staffRoleLabel: request.staff ? ROLE_LABELS[request.staff.role] : '',
      staffNavigation: request.staff ? staffNavigation(request.staff, path) : [],
      adminNavigation: NAVIGATION.map((item) => ({
        ...item,
        active: path === item.href || (item.href !== '/admin/routing' && path.startsWith(`${item.href}/`)),
      })),
      ...context,
    });
  }

  async function serviceOr404(code: string): Promise<Service> {
    const service = await domain.services.get(code);
    if (!service) throw new AppError('not_found', `There is no service "${code}"`);
    return service;
  }

  // ---------------------------------------------------------------- dashboard
  app.get('/admin', adminOnly, async (request, reply) => {
    const [services, rules, bodies] = await Promise.all([
      domain.services.list({ activeOnly: false }),
      domain.routing.rules(),
      domain.organisations.bodies(),
    ]);
    return render(request, reply, 'dashboard.njk', {
      counts: { services: services.length, rules: rules.length, bodies: bodies.length },
    });
  });

  // ---------------------------------------------------------------- services
  app.get('/admin/services', adminOnly, async (request, reply) => {
    const services = await domain.services.list({ activeOnly: false });
    return render(request, reply, 'services.njk', { services });
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

  app.get('/admin/services/new', adminOnly, async (request, reply) =>
    render(request, reply, 'service-form.njk', {
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

  app.post('/admin/services/new', adminOnly, async (request, reply) => {
    const values = readServiceForm(request.body as Body);
    return saveService(request, reply, values, undefined);
  });

  app.get(
    '/admin/services/:code',
    { ...adminOnly, schema: { params: Type.Object({ code: Type.String({ maxLength: 63 }) }) } },
    async (request, reply) => {
      const service = await serviceOr404((request.params as { code: string }).code);
      return render(request, reply, 'service-form.njk', {
        isNew: false,
        service,
        saved: (request.query as { saved?: string }).saved === '1',
        datatypeLabels: DATATYPE_LABELS,
        ...(await serviceFormContext(serviceToForm(service))),
      });
    },
  );

  app.post(
    '/admin/services/:code',
    { ...adminOnly, schema: { params: Type.Object({ code: Type.String({ maxLength: 63 }) }) } },
    async (request, reply) => {
      const service = await serviceOr404((request.params as { code: string }).code);
      const values = { ...readServiceForm(request.body as Body), code: service.code };
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
      return render(request, reply, 'service-form.njk', {
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
  const questionParams = Type.Object({
    code: Type.String({ maxLength: 63 }),
    question: Type.String({ maxLength: 63 }),
  });

  app.get(
    '/admin/services/:code/questions/:question',
    { ...adminOnly, schema: { params: questionParams } },
    async (request, reply) => {
      const { code, question: questionCode } = request.params as { code: string; question: string };
      const service = await serviceOr404(code);
      const question =
        questionCode === 'new'
          ? undefined
          : service.definition.questions.find((q) => q.code === questionCode);
      if (questionCode !== 'new' && !question) throw new AppError('not_found');
      return render(request, reply, 'question-form.njk', {
        service,
        isNew: !question,
        values: question ? questionToForm(question) : { datatype: 'singlevaluelist', position: '' },
        datatypeItems: datatypeItems(question?.datatype ?? 'singlevaluelist'),
      });
    },
  );

  app.post(
    '/admin/services/:code/questions/:question',
    { ...adminOnly, schema: { params: questionParams } },
    async (request, reply) => {
      const { code, question: questionCode } = request.params as { code: string; question: string };
      const service = await serviceOr404(code);
      const body = request.body as Body;
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
        return render(request, reply, 'question-form.njk', {
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

  // ---------------------------------------------------------------- routing rules
  app.get('/admin/routing', adminOnly, async (request, reply) => {
    const [rules, services, bodies, teams] = await Promise.all([
      domain.routing.rules(),
      domain.services.list({ activeOnly: false }),
      domain.organisations.bodies(),
      domain.organisations.teams(),
    ]);
    return render(request, reply, 'rules.njk', {
      rules: rules.map((rule) => ({
        ...rule,
        serviceName: rule.serviceCode
          ? services.find((s) => s.code === rule.serviceCode)?.name
          : 'Every service',
        bodyName: bodies.find((b) => b.id === rule.bodyId)?.name,
        teamName: teams.find((t) => t.id === rule.teamId)?.name,
        summary: describeConditions(rule.conditions),
      })),
      saved: (request.query as { saved?: string }).saved,
    });
  });

  async function ruleFormContext(values: Partial<RuleFormValues>) {
    const [services, bodies, teams] = await Promise.all([
      domain.services.list({ activeOnly: false }),
      domain.organisations.bodies(),
      domain.organisations.teams(),
    ]);
    return {
      values,
      serviceOptions: [
        { value: '', text: 'Every service' },
        ...services.map((s) => ({ value: s.code, text: s.name, selected: s.code === values.serviceCode })),
      ],
      bodyOptions: bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === values.bodyCode })),
      teamOptions: [
        { value: '', text: 'No team: the body decides' },
        ...teams.map((t) => ({
          value: t.code,
          text: `${bodies.find((b) => b.id === t.bodyId)?.name ?? ''}: ${t.name}`,
          selected: t.code === values.teamCode,
        })),
      ],
      areaKindOptions: ['', 'council', 'ward', 'parish', 'locality', 'custom'].map((kind) => ({
        value: kind,
        text: kind ? kind[0]!.toUpperCase() + kind.slice(1) : 'Anywhere',
        selected: kind === (values.areaKind ?? ''),
      })),
      questionHelp: services
        .filter((s) => s.definition.questions.some((q) => q.options?.length))
        .map((s) => ({
          name: s.name,
          questions: s.definition.questions
            .filter((q) => q.options?.length)
            .map((q) => `${q.code}: ${q.options!.map((o) => o.key).join(', ')}`),
        })),
      operators: OPERATORS,
    };
  }

  const ruleParams = Type.Object({ id: Type.String({ maxLength: 40 }) });

  app.get('/admin/routing/new', adminOnly, async (request, reply) =>
    render(request, reply, 'rule-form.njk', {
      isNew: true,
      ...(await ruleFormContext({ enabled: true, outOfHours: 'any', position: '10' })),
    }),
  );

  app.get(
    '/admin/routing/rules/:id',
    { ...adminOnly, schema: { params: ruleParams } },
    async (request, reply) => {
      const rule = (await domain.routing.rules()).find((r) => r.id === (request.params as { id: string }).id);
      if (!rule) throw new AppError('not_found');
      return render(request, reply, 'rule-form.njk', {
        isNew: false,
        rule,
        ...(await ruleFormContext(ruleToForm(rule))),
      });
    },
  );

  app.post('/admin/routing/new', adminOnly, async (request, reply) => saveRule(request, reply, undefined));
  app.post(
    '/admin/routing/rules/:id',
    { ...adminOnly, schema: { params: ruleParams } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const rule = (await domain.routing.rules()).find((r) => r.id === id);
      if (!rule) throw new AppError('not_found');
      if (asText((request.body as Body).action) === 'delete') {
        await domain.routing.deleteRule(id);
        return reply.redirect('/admin/routing?saved=deleted', 303);
      }
      return saveRule(request, reply, id);
    },
  );

  async function saveRule(request: FastifyRequest, reply: FastifyReply, id: string | undefined) {
    const values = readRuleForm(request.body as Body);
    const errors = new FormErrors();
    const input = parseRuleForm(values, errors);
    if (input && !errors.any) {
      try {
        await domain.routing.saveRule(input, id);
        request.log.info({ staffId: request.staff?.id, rule: input.name }, 'routing rule saved');
        return reply.redirect('/admin/routing?saved=1', 303);
      } catch (error) {
        if (!(error instanceof RuleInvalidError)) throw error;
        for (const problem of error.problems) addRuleProblem(errors, problem);
      }
    }
    reply.status(400);
    return render(request, reply, 'rule-form.njk', {
      isNew: !id,
      rule: id ? { id } : undefined,
      ...(await ruleFormContext(values)),
      ...errors.view(),
    });
  }

  // ---------------------------------------------------------------- test bench
  app.get(
    '/admin/routing/test',
    {
      ...adminOnly,
      schema: {
        querystring: Type.Object({
          lat: Type.Optional(Type.String({ maxLength: 30 })),
          lon: Type.Optional(Type.String({ maxLength: 30 })),
          service: Type.Optional(Type.String({ maxLength: 63 })),
          answers: Type.Optional(Type.String({ maxLength: 2000 })),
          at: Type.Optional(Type.String({ maxLength: 30 })),
        }),
      },
    },
    async (request, reply) => {
      const query = request.query as {
        lat?: string;
        lon?: string;
        service?: string;
        answers?: string;
        at?: string;
      };
      const services = await domain.services.list({ activeOnly: false });
      const values = {
        lat: query.lat ?? '',
        lon: query.lon ?? '',
        service: query.service ?? '',
        answers: query.answers ?? '',
        at: query.at ?? '',
      };
      const errors = new FormErrors();
      let result: unknown;
      const submitted = query.lat !== undefined || query.lon !== undefined || query.service !== undefined;
      if (submitted) {
        const lat = Number(values.lat);
        const lon = Number(values.lon);
        if (!values.lat || !Number.isFinite(lat) || lat < -90 || lat > 90) {
          errors.add('lat', 'Enter a latitude between -90 and 90, for example 53.4251');
        }
        if (!values.lon || !Number.isFinite(lon) || lon < -180 || lon > 180) {
          errors.add('lon', 'Enter a longitude between -180 and 180, for example -2.3382');
        }
        if (!services.some((s) => s.code === values.service)) errors.add('service', 'Choose a service');
        const answers = parseAnswerLines(values.answers, errors);
        let at: Date | undefined;
        if (values.at) {
          at = new Date(values.at.length === 16 ? `${values.at}:00` : values.at);
          if (Number.isNaN(at.getTime()))
            errors.add('at', 'Enter a date and time, or leave it blank for now');
        }
        if (!errors.any) {
          result = await domain.routing.route({
            lat,
            lon,
            serviceCode: values.service,
            answers,
            ...(at ? { at } : {}),
          });
        }
      }
      return render(request, reply, 'test-bench.njk', {
        values,
        serviceOptions: [
          { value: '', text: 'Choose a service' },
          ...services.map((s) => ({ value: s.code, text: s.name, selected: s.code === values.service })),
        ],
        result,
        ...errors.view(),
      });
    },
  );

  // ---------------------------------------------------------------- bodies, calendars, areas
  await registerOrganisationRoutes(app, { render, adminOnly });
  await registerPeopleRoutes(app, { render, adminOnly });
  await registerDeliveryRoutes(app, { render, adminOnly });
  await registerOpen311TargetRoutes(app, { render, adminOnly });
  await registerResponseTemplateRoutes(app, { render, adminOnly });
  await registerWorkflowRoutes(app, { render, adminOnly });
  await registerWebhookRoutes(app, { render, adminOnly });
  await registerApiClientRoutes(app, { render, adminOnly });
  await registerCalendarRoutes(app, { render, adminOnly });

  app.get('/admin/areas', adminOnly, async (request, reply) => {
    const areas = await domain.areasSummary();
    return render(request, reply, 'areas.njk', { areas });
  });
  await registerAreaRoutes(app, { render, adminOnly });

  // ---------------------------------------------------------------- catalogue
  app.get('/admin/catalogue', adminOnly, async (request, reply) =>
    render(request, reply, 'catalogue.njk', { values: {} }),
  );

  app.get(
    '/admin/catalogue/export',
    {
      ...adminOnly,
      schema: {
        querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('yaml')]) }),
      },
    },
    async (request, reply) => {
      const { format } = request.query as { format: 'json' | 'yaml' };
      const text = CatalogueService.toText(await domain.catalogue.export(), format);
      return reply
        .type(format === 'json' ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="civicdesk-catalogue.${format}"`)
        .send(text);
    },
  );

  app.post('/admin/catalogue', adminOnly, async (request, reply) => {
    const body = request.body as Body;
    const text = typeof body.catalogue === 'string' ? body.catalogue : '';
    const dryRun = asText(body.action) !== 'import';
    const errors = new FormErrors();
    let problems: string[] = [];
    let summary: unknown;
    if (!text.trim()) errors.add('catalogue', 'Paste the contents of a catalogue file (JSON or YAML)');
    else {
      try {
        summary = await domain.catalogue.import(parseCatalogueText(text), { dryRun });
      } catch (error) {
        if (!(error instanceof CatalogueInvalidError)) throw error;
        problems = error.problems;
        errors.add(
          'catalogue',
          `The catalogue has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was changed`,
        );
      }
    }
    if (!errors.any && !dryRun) request.log.info({ staffId: request.staff?.id }, 'catalogue imported');
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'catalogue.njk', {
      values: { catalogue: text },
      problems,
      summary,
      dryRun,
      ...errors.view(),
    });
  });
}

// ---------------------------------------------------------------- form mapping (pure)

interface ServiceFormValues {
  code: string;
  name: string;
  group: string;
  description: string;
  keywords: string;
  offeredBy: string[];
  defaultBody: string;
  defaultTeam: string;
  timescaleUnit: 'working_days' | 'working_hours' | 'calendar_days';
  timescaleAmount: string;
  calendar: string;
  whatHappensNext: string;
  receiptSubject: string;
  receiptBody: string;
  isPublic: boolean;
  active: boolean;
  anonymousAllowed: boolean;
  photosAllowed: boolean;
  photosRequired: boolean;
  photosMax: string;
}

function readServiceForm(body: Body): ServiceFormValues {
  const unit = asText(body.timescaleUnit);
  const flags = asList(body.flags);
  return {
    code: asText(body.code),
    name: asText(body.name),
    group: asText(body.group),
    description: asText(body.description),
    keywords: asText(body.keywords),
    offeredBy: asList(body.offeredBy),
    defaultBody: asText(body.defaultBody),
    defaultTeam: asText(body.defaultTeam),
    timescaleUnit: unit === 'working_hours' || unit === 'calendar_days' ? unit : 'working_days',
    timescaleAmount: asText(body.timescaleAmount),
    calendar: asText(body.calendar),
    whatHappensNext: asText(body.whatHappensNext),
    receiptSubject: asText(body.receiptSubject),
    // Not trimmed line by line: the body's blank lines are its paragraphs.
    receiptBody: typeof body.receiptBody === 'string' ? body.receiptBody.replace(/\r\n/g, '\n').trim() : '',
    isPublic: flags.includes('public'),
    active: flags.includes('active'),
    anonymousAllowed: flags.includes('anonymous'),
    photosAllowed: flags.includes('photos'),
    photosRequired: flags.includes('photosRequired'),
    photosMax: asText(body.photosMax),
  };
}

function serviceToForm(service: Service): ServiceFormValues {
  const d = service.definition;
  return {
    code: service.code,
    name: service.name,
    group: service.group,
    description: service.description,
    keywords: service.keywords.join(', '),
    offeredBy: service.offeredBy,
    defaultBody: d.defaultBody,
    defaultTeam: d.defaultTeam ?? '',
    timescaleUnit: d.timescale.unit,
    timescaleAmount: String(d.timescale.amount),
    calendar: d.calendar,
    whatHappensNext: d.whatHappensNext,
    receiptSubject: d.receiptTemplate?.subject ?? '',
    receiptBody: d.receiptTemplate?.body ?? '',
    isPublic: service.isPublic,
    active: service.active,
    anonymousAllowed: d.anonymousAllowed,
    photosAllowed: d.photos.allowed,
    photosRequired: d.photos.required,
    photosMax: String(d.photos.max),
  };
}

function serviceInputFrom(service: Service, definition: Service['definition']): ServiceInput {
  return {
    code: service.code,
    name: service.name,
    group: service.group,
    description: service.description,
    keywords: service.keywords,
    isPublic: service.isPublic,
    active: service.active,
    offeredBy: service.offeredBy,
    definition,
  };
}

/**
 * The service's own receipt email, if the admin wrote one: both parts or neither, and only the
 * placeholders the receipt knows (a misspelt one would otherwise come out blank in residents' email).
 */
function checkReceiptTemplate(values: ServiceFormValues, errors: FormErrors) {
  if (!values.receiptSubject && !values.receiptBody) return undefined;
  if (!values.receiptSubject)
    errors.add(
      'receiptSubject',
      'Enter a subject for the receipt email, or clear both parts to use the standard one',
    );
  if (!values.receiptBody)
    errors.add(
      'receiptBody',
      'Enter the text of the receipt email, or clear both parts to use the standard one',
    );
  const known = Object.fromEntries(RECEIPT_PLACEHOLDERS.map((p) => [p, '']));
  for (const [field, text] of [
    ['receiptSubject', values.receiptSubject],
    ['receiptBody', values.receiptBody],
  ] as const) {
    const { unknown } = fillTemplate(text, known);
    if (unknown.length) {
      errors.add(
        field,
        `${unknown.map((u) => `{{${u}}}`).join(', ')} is not a placeholder the receipt knows: use ${RECEIPT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      );
    }
  }
  if (values.receiptSubject.length > 200)
    errors.add('receiptSubject', 'The subject must be 200 characters or fewer');
  if (values.receiptBody.length > 5000)
    errors.add('receiptBody', 'The text must be 5,000 characters or fewer');
  return values.receiptSubject && values.receiptBody
    ? { subject: values.receiptSubject, body: values.receiptBody }
    : undefined;
}

/** Maps the services module's problem sentences onto the form's fields. */
function addServiceProblem(errors: FormErrors, problem: string): void {
  const field = (
    [
      [/^code:/, 'code'],
      [/^name:/, 'name'],
      [/^offered by:/, 'offeredBy'],
      [/^default body:/, 'defaultBody'],
      [/^default team:/, 'defaultTeam'],
      [/^\/timescale/, 'timescaleAmount'],
      [/^\/whatHappensNext/, 'whatHappensNext'],
      [/^photos/, 'photosMax'],
      [/^\/calendar/, 'calendar'],
    ] as const
  ).find(([pattern]) => pattern.test(problem))?.[1];
  errors.add(
    field ?? 'name',
    problem.replace(/^[^:]+: /, (prefix) => (field ? '' : prefix)).replace(/^./, (c) => c.toUpperCase()),
  );
}

interface QuestionFormValues {
  code: string;
  text: string;
  hint: string;
  datatype: string;
  required: boolean;
  options: string;
  position: string;
}

function readQuestionForm(body: Body): QuestionFormValues {
  return {
    code: asText(body.code),
    text: asText(body.text),
    hint: asText(body.hint),
    datatype: asText(body.datatype),
    required: asList(body.flags).includes('required'),
    options: typeof body.options === 'string' ? body.options : '',
    position: asText(body.position),
  };
}

function questionToForm(question: Question): QuestionFormValues {
  return {
    code: question.code,
    text: question.text,
    hint: question.hint ?? '',
    datatype: question.datatype,
    required: question.required,
    options: (question.options ?? [])
      .map((o) => [o.key, o.name, ...(o.stop ? [o.stop] : [])].join(' | '))
      .join('\n'),
    position: '',
  };
}

function datatypeItems(selected: string) {
  return QUESTION_DATATYPES.map((d) => ({ value: d, text: DATATYPE_LABELS[d], checked: d === selected }));
}

function parseQuestionForm(values: QuestionFormValues, errors: FormErrors): Question | undefined {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(values.code)) {
    errors.add(
      'code',
      'Enter a code of lower-case letters, digits and _ that starts with a letter, for example "bin_colour"',
    );
  }
  if (!values.text) errors.add('text', 'Enter the question as the resident will see it');
  if (!(QUESTION_DATATYPES as readonly string[]).includes(values.datatype)) {
    errors.add('datatype', 'Choose what kind of answer the question takes');
  }
  const options: NonNullable<Question['options']> = [];
  for (const [i, line] of values.options.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const [key, name, stop] = line.split('|').map((part) => part.trim());
    if (!key || !name) {
      errors.add(
        'options',
        `Line ${i + 1} of the options: write each option as "key | name", or "key | name | stop message"`,
      );
      continue;
    }
    options.push({ key, name, ...(stop ? { stop } : {}) });
  }
  const isList = values.datatype === 'singlevaluelist' || values.datatype === 'multivaluelist';
  if (isList && options.length < 2) errors.add('options', 'Enter at least 2 options, one on each line');
  if (!isList && options.length)
    errors.add(
      'options',
      'Only questions with options to choose from have options: remove them or change the kind of answer',
    );
  if (values.datatype === 'notice' && values.required)
    errors.add('datatype', 'Information only asks nothing, so it cannot be required');
  if (errors.any) return undefined;
  return {
    code: values.code,
    text: values.text,
    ...(values.hint ? { hint: values.hint } : {}),
    datatype: values.datatype as Question['datatype'],
    required: values.required,
    ...(isList ? { options } : {}),
  };
}

interface RuleFormValues {
  name: string;
  serviceCode: string;
  position: string;
  areaKind: string;
  areaCode: string;
  answers: string;
  outOfHours: string;
  bodyCode: string;
  teamCode: string;
  showContact: boolean;
  enabled: boolean;
}

function readRuleForm(body: Body): RuleFormValues {
  const flags = asList(body.flags);
  return {
    name: asText(body.name),
    serviceCode: asText(body.serviceCode),
    position: asText(body.position),
    areaKind: asText(body.areaKind),
    areaCode: asText(body.areaCode),
    answers: typeof body.answers === 'string' ? body.answers : '',
    outOfHours: asText(body.outOfHours) || 'any',
    bodyCode: asText(body.bodyCode),
    teamCode: asText(body.teamCode),
    showContact: flags.includes('showContact'),
    enabled: flags.includes('enabled'),
  };
}

function ruleToForm(
  rule: Awaited<ReturnType<FastifyInstance['domain']['routing']['rules']>>[number],
): RuleFormValues {
  return {
    name: rule.name,
    serviceCode: rule.serviceCode ?? '',
    position: String(rule.position),
    areaKind: rule.conditions.areaKind ?? '',
    areaCode: rule.conditions.areaCode ?? '',
    answers: (rule.conditions.answers ?? [])
      .map((a) => `${a.question} ${a.operator}${a.values.length ? ` ${a.values.join(', ')}` : ''}`)
      .join('\n'),
    outOfHours: rule.conditions.outOfHours === undefined ? 'any' : rule.conditions.outOfHours ? 'out' : 'in',
    bodyCode: rule.bodyCode,
    teamCode: rule.teamCode ?? '',
    showContact: rule.showContact,
    enabled: rule.enabled,
  };
}

function parseRuleForm(values: RuleFormValues, errors: FormErrors): RuleInput | undefined {
  const position = Number(values.position);
  if (!values.position || !Number.isInteger(position))
    errors.add('position', 'Enter the position as a whole number, for example 10');
  if (!values.name) errors.add('name', 'Enter a name that says what the rule is for');
  if (!values.bodyCode) errors.add('bodyCode', 'Choose the body that receives the reports');
  const answers: AnswerCondition[] = [];
  for (const [i, line] of values.answers.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const match = /^\s*([a-z][a-z0-9_]*)\s+([a-z_]+)\s*(.*)$/.exec(line);
    const operator = match?.[2] as AnswerCondition['operator'] | undefined;
    if (!match || !operator || !OPERATORS.includes(operator)) {
      errors.add(
        'answers',
        `Line ${i + 1} of the answer conditions: write "question operator values", for example "school equals no"`,
      );
      continue;
    }
    answers.push({
      question: match[1]!,
      operator,
      values: (match[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    });
  }
  if (errors.any) return undefined;
  return {
    name: values.name,
    serviceCode: values.serviceCode || null,
    position,
    conditions: {
      ...(values.areaKind ? { areaKind: values.areaKind } : {}),
      ...(values.areaCode ? { areaCode: values.areaCode } : {}),
      ...(answers.length ? { answers } : {}),
      ...(values.outOfHours === 'out'
        ? { outOfHours: true }
        : values.outOfHours === 'in'
          ? { outOfHours: false }
          : {}),
    },
    bodyCode: values.bodyCode,
    teamCode: values.teamCode || null,
    showContact: values.showContact,
    enabled: values.enabled,
  };
}

function addRuleProblem(errors: FormErrors, problem: string): void {
  const field = (
    [
      [/^name:/, 'name'],
      [/^position:/, 'position'],
      [/^body:/, 'bodyCode'],
      [/^team:/, 'teamCode'],
      [/^service:/, 'serviceCode'],
      [/^answers:/, 'answers'],
      [/^area:/, 'areaKind'],
      [/^conditions/, 'answers'],
    ] as const
  ).find(([pattern]) => pattern.test(problem))?.[1];
  errors.add(
    field ?? 'name',
    problem.replace(/^[a-z ]+: /, '').replace(/^./, (c) => c.toUpperCase()),
  );
}

function describeConditions(conditions: RuleInput['conditions'] & object): string {
  const c = conditions as {
    areaKind?: string;
    areaCode?: string;
    answers?: AnswerCondition[];
    outOfHours?: boolean;
  };
  const parts: string[] = [];
  if (c.areaCode) parts.push(`in ${c.areaKind ?? 'area'} ${c.areaCode}`);
  else if (c.areaKind) parts.push(`in any ${c.areaKind}`);
  for (const a of c.answers ?? [])
    parts.push(
      `${a.question} ${a.operator.replace('_', ' ')}${a.values.length ? ` ${a.values.join(', ')}` : ''}`,
    );
  if (c.outOfHours !== undefined) parts.push(c.outOfHours ? 'out of hours' : 'in hours');
  return parts.length ? parts.join('; ') : 'always';
}

/** "code=value" lines; several values for one code are comma-separated. */
function parseAnswerLines(text: string, errors: FormErrors): Record<string, string | string[]> {
  const answers: Record<string, string | string[]> = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const match = /^\s*([a-z][a-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      errors.add('answers', `Line ${i + 1} of the answers: write "question=answer", for example "school=no"`);
      continue;
    }
    const values = match[2]!
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    answers[match[1]!] = values.length === 1 ? values[0]! : values;
  }
  return answers;
}
