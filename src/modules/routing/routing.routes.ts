/**
 * Admin: routing rules and the routing test bench.
 *
 *   GET       /admin/routing                 the rules, in the order they are tried
 *   GET, POST /admin/routing/new             add a rule
 *   GET, POST /admin/routing/rules/:id       change or delete a rule
 *   GET       /admin/routing/test            try a place, a service, answers and a time: which rule
 *                                            decides, with the trace of every rule considered
 *
 * RoutingService checks a rule; the forms are read in rule-form.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { adminForm, boundedChoices, boundedField, boundedText } from '../../infra/admin/index.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import {
  addRuleProblem,
  describeConditions,
  OPERATORS,
  parseAnswerLines,
  parseRuleForm,
  readRuleForm,
  ruleToForm,
  type RuleFormValues,
} from './rule-form.js';
import { RuleInvalidError } from './routing.service.js';

const ruleParams = Type.Object({ id: Type.String({ maxLength: 40 }) });
const savedQuery = Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) });
const testBenchQuery = Type.Object({
  lat: Type.Optional(Type.String({ maxLength: 30 })),
  lon: Type.Optional(Type.String({ maxLength: 30 })),
  service: Type.Optional(Type.String({ maxLength: 63 })),
  answers: Type.Optional(Type.String({ maxLength: 2000 })),
  at: Type.Optional(Type.String({ maxLength: 30 })),
});

const ruleForm = adminForm({
  action: boundedField,
  name: boundedField,
  serviceCode: boundedField,
  position: boundedField,
  areaKind: boundedField,
  areaCode: boundedField,
  answers: boundedText(20_000),
  outOfHours: boundedField,
  bodyCode: boundedField,
  teamCode: boundedField,
  flags: boundedChoices(20),
});

export const routingAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { domain } = app;
  const render = app.renderAdminPage;

  // ---------------------------------------------------------------- routing rules
  app.get('/admin/routing', { schema: { querystring: savedQuery } }, async (request, reply) => {
    const [rules, services, bodies, teams] = await Promise.all([
      domain.routing.rules(),
      domain.services.list({ activeOnly: false }),
      domain.organisations.bodies(),
      domain.organisations.teams(),
    ]);
    return render(request, reply, 'routing/views/rules.njk', {
      rules: rules.map((rule) => ({
        ...rule,
        serviceName: rule.serviceCode
          ? services.find((s) => s.code === rule.serviceCode)?.name
          : 'Every service',
        bodyName: bodies.find((b) => b.id === rule.bodyId)?.name,
        teamName: teams.find((t) => t.id === rule.teamId)?.name,
        summary: describeConditions(rule.conditions),
      })),
      saved: request.query.saved,
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

  app.get('/admin/routing/new', async (request, reply) =>
    render(request, reply, 'routing/views/rule-form.njk', {
      isNew: true,
      ...(await ruleFormContext({ enabled: true, outOfHours: 'any', position: '10' })),
    }),
  );

  app.get('/admin/routing/rules/:id', { schema: { params: ruleParams } }, async (request, reply) => {
    const rule = (await domain.routing.rules()).find((r) => r.id === request.params.id);
    if (!rule) throw new AppError('not_found');
    return render(request, reply, 'routing/views/rule-form.njk', {
      isNew: false,
      rule,
      ...(await ruleFormContext(ruleToForm(rule))),
    });
  });

  app.post('/admin/routing/new', { schema: { body: ruleForm } }, async (request, reply) =>
    saveRule(request, reply, request.body, undefined),
  );
  app.post(
    '/admin/routing/rules/:id',
    { schema: { params: ruleParams, body: ruleForm } },
    async (request, reply) => {
      const { id } = request.params;
      const rule = (await domain.routing.rules()).find((r) => r.id === id);
      if (!rule) throw new AppError('not_found');
      if (asText(request.body.action) === 'delete') {
        await domain.routing.deleteRule(id);
        return reply.redirect('/admin/routing?saved=deleted', 303);
      }
      return saveRule(request, reply, request.body, id);
    },
  );

  async function saveRule(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Static<typeof ruleForm>,
    id: string | undefined,
  ) {
    const values = readRuleForm(body);
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
    return render(request, reply, 'routing/views/rule-form.njk', {
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
      schema: { querystring: testBenchQuery },
    },
    async (request, reply) => {
      const query = request.query;
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
      return render(request, reply, 'routing/views/test-bench.njk', {
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
};
