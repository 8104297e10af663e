/**
 * Admin: bodies (the organisations that receive cases) and their teams, added and changed in the
 * browser rather than only through the catalogue file.
 *
 *   GET       /admin/organisations                        every body
 *   GET, POST /admin/organisations/new                    add a body
 *   GET       /admin/organisations/:code                  a body: its details and its teams
 *   GET, POST /admin/organisations/:code/edit             change a body (not its code)
 *   POST      /admin/organisations/:code/case-access      which other bodies' cases its staff may work
 *   GET, POST /admin/organisations/:code/teams/new        add a team to the body
 *   GET, POST /admin/organisations/:code/teams/:team      change a team (not its code)
 *
 * There is no way to delete a body or team here: cases, services and routing rules refer to them.
 * The rules live in OrganisationsService; these routes read the form, show its problems against the
 * fields (keeping what was typed), and redirect to the body's page with a banner once saved.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminForm, boundedChoices, boundedField } from '../../infra/admin/index.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import {
  BODY_KIND_LABELS,
  BODY_KINDS,
  DELIVERY_METHOD_LABELS,
  DELIVERY_METHODS,
  SELECTABLE_DELIVERY_METHODS,
  type Body,
  type BodyChanges,
  type Team,
  type TeamChanges,
} from './organisations.service.js';

const field = boundedField;
const bodyForm = Type.Object({
  code: field,
  name: field,
  kind: field,
  email: field,
  phone: field,
  website: field,
  deliveryMethod: field,
});
const teamForm = Type.Object({ code: field, name: field, email: field });
/** The bodies whose cases this body's staff may work: checkboxes, one per other body. */
const caseAccessForm = adminForm({ caseAccess: boundedChoices(1000) });
const bodyParams = Type.Object({ code: Type.String({ maxLength: 63 }) });
const teamParams = Type.Object({
  code: Type.String({ maxLength: 63 }),
  team: Type.String({ maxLength: 63 }),
});

/** What the body's page says after a save, by the `saved` query value. */
const SAVED_MESSAGES: Record<string, string> = {
  added: 'Body added',
  body: 'Changes to the body saved',
  'team-added': 'Team added',
  team: 'Changes to the team saved',
  'case-access': 'Access to other bodies’ cases saved',
};

interface BodyFormValues extends BodyChanges {
  code: string;
}

function readBodyForm(body: Record<string, unknown>): BodyFormValues {
  const deliveryMethod = asText(body.deliveryMethod);
  return {
    code: asText(body.code),
    name: asText(body.name),
    kind: asText(body.kind),
    email: asText(body.email),
    phone: asText(body.phone),
    website: asText(body.website),
    ...(deliveryMethod ? { deliveryMethod } : {}),
  };
}

function bodyToForm(body: Body): BodyFormValues {
  return {
    code: body.code,
    name: body.name,
    kind: body.kind,
    email: body.email ?? '',
    phone: body.phone ?? '',
    website: body.website ?? '',
    deliveryMethod: body.deliveryMethod,
  };
}

function readTeamForm(body: Record<string, unknown>): TeamChanges & { code: string } {
  return { code: asText(body.code), name: asText(body.name), email: asText(body.email) };
}

/** The form's problems from a validation_failed AppError; anything else is thrown on. */
function formErrorsFrom(error: unknown): FormErrors {
  if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
  const errors = new FormErrors();
  for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
  return errors;
}

function bodyFormView(values: BodyFormValues, current: Body | undefined, errors?: FormErrors) {
  // A method other than "In Civicdesk" can only have come from the catalogue file: it is shown, checked
  // and disabled, so saving the form keeps it (a disabled radio sends nothing).
  const selected = values.deliveryMethod ?? current?.deliveryMethod ?? 'civicdesk';
  return {
    values,
    kindItems: BODY_KINDS.map((kind) => ({
      value: kind,
      text: BODY_KIND_LABELS[kind],
      checked: values.kind === kind,
    })),
    deliveryItems: DELIVERY_METHODS.map((method) => ({
      value: method,
      text: DELIVERY_METHOD_LABELS[method],
      checked: selected === method,
      disabled: !SELECTABLE_DELIVERY_METHODS.includes(method),
    })),
    ...(errors ? errors.view() : {}),
  };
}

function bodySummaryRows(body: Body) {
  const notGiven = 'Not given';
  return [
    { key: { text: 'Code' }, value: { text: body.code } },
    { key: { text: 'Kind' }, value: { text: BODY_KIND_LABELS[body.kind] } },
    { key: { text: 'Email address' }, value: { text: body.email ?? notGiven } },
    { key: { text: 'Telephone' }, value: { text: body.phone ?? notGiven } },
    { key: { text: 'Website' }, value: { text: body.website ?? notGiven } },
    { key: { text: 'Receives cases' }, value: { text: DELIVERY_METHOD_LABELS[body.deliveryMethod] } },
  ];
}

export const organisationAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const render = app.renderAdminPage;
  const { organisations } = app.domain;

  async function bodyOr404(code: string): Promise<Body> {
    const body = await organisations.body(code);
    if (!body) throw new AppError('not_found', `There is no body "${code}"`);
    return body;
  }

  async function teamOr404(body: Body, code: string): Promise<Team> {
    const team = await organisations.team(body, code);
    if (!team) throw new AppError('not_found', `${body.name} has no team "${code}"`);
    return team;
  }

  const bodyPath = (body: Pick<Body, 'code'>) => `/admin/organisations/${encodeURIComponent(body.code)}`;

  // ---------------------------------------------------------------- bodies
  app.get('/admin/organisations', async (request, reply) => {
    const [bodies, teams] = await Promise.all([organisations.bodies(), organisations.teams()]);
    return render(request, reply, 'organisations/views/organisations.njk', {
      bodies: bodies.map((b) => ({
        ...b,
        href: bodyPath(b),
        kindLabel: BODY_KIND_LABELS[b.kind],
        deliveryLabel: DELIVERY_METHOD_LABELS[b.deliveryMethod],
        teamCount: teams.filter((t) => t.bodyId === b.id).length,
      })),
    });
  });

  app.get('/admin/organisations/new', async (request, reply) =>
    render(request, reply, 'organisations/views/body-form.njk', {
      isNew: true,
      ...bodyFormView(
        { code: '', name: '', kind: '', email: '', phone: '', website: '', deliveryMethod: 'civicdesk' },
        undefined,
      ),
    }),
  );

  app.post('/admin/organisations/new', { schema: { body: bodyForm } }, async (request, reply) => {
    const values = readBodyForm(request.body);
    try {
      const body = await organisations.createBody(values);
      request.log.info({ staffId: request.staff?.id, body: body.code }, 'body added');
      return reply.redirect(`${bodyPath(body)}?saved=added`, 303);
    } catch (error) {
      const errors = formErrorsFrom(error);
      reply.status(400);
      return render(request, reply, 'organisations/views/body-form.njk', {
        isNew: true,
        ...bodyFormView(values, undefined, errors),
      });
    }
  });

  app.get(
    '/admin/organisations/:code',
    {
      schema: {
        params: bodyParams,
        querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 20 })) }),
      },
    },
    async (request, reply) => {
      const body = await bodyOr404(request.params.code);
      const saved = request.query.saved;
      return bodyPage(request, reply, body, { savedMessage: saved ? SAVED_MESSAGES[saved] : undefined });
    },
  );

  async function bodyPage(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Body,
    extra: Record<string, unknown> = {},
  ) {
    const [teams, bodies, access] = await Promise.all([
      organisations.teamsOf(body),
      organisations.bodies(),
      organisations.caseAccess(body),
    ]);
    return render(request, reply, 'organisations/views/body.njk', {
      body,
      summaryRows: bodySummaryRows(body),
      teams: teams.map((t) => ({ ...t, href: `${bodyPath(body)}/teams/${encodeURIComponent(t.code)}` })),
      caseAccessItems: bodies
        .filter((b) => b.id !== body.id)
        .map((b) => ({ value: b.code, text: b.name, checked: access.some((a) => a.id === b.id) })),
      ...extra,
    });
  }

  // Cross-body access: the one place an admin lets a body's staff see and work another body's cases.
  app.post(
    '/admin/organisations/:code/case-access',
    { schema: { params: bodyParams, body: caseAccessForm } },
    async (request, reply) => {
      const body = await bodyOr404(request.params.code);
      const codes = asList(request.body.caseAccess);
      try {
        await organisations.setCaseAccess(body, codes);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return bodyPage(request, reply, body, errors.view());
      }
      request.log.info(
        { staffId: request.staff?.id, body: body.code, caseAccess: codes },
        'case access changed',
      );
      return reply.redirect(`${bodyPath(body)}?saved=case-access#case-access`, 303);
    },
  );

  app.get('/admin/organisations/:code/edit', { schema: { params: bodyParams } }, async (request, reply) => {
    const body = await bodyOr404(request.params.code);
    return render(request, reply, 'organisations/views/body-form.njk', {
      isNew: false,
      body,
      ...bodyFormView(bodyToForm(body), body),
    });
  });

  app.post(
    '/admin/organisations/:code/edit',
    { schema: { params: bodyParams, body: bodyForm } },
    async (request, reply) => {
      const body = await bodyOr404(request.params.code);
      const values = { ...readBodyForm(request.body), code: body.code };
      try {
        await organisations.updateBody(body.code, values);
        request.log.info({ staffId: request.staff?.id, body: body.code }, 'body changed');
        return reply.redirect(`${bodyPath(body)}?saved=body`, 303);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return render(request, reply, 'organisations/views/body-form.njk', {
          isNew: false,
          body,
          ...bodyFormView(values, body, errors),
        });
      }
    },
  );

  // ---------------------------------------------------------------- teams
  app.get(
    '/admin/organisations/:code/teams/new',
    { schema: { params: bodyParams } },
    async (request, reply) => {
      const body = await bodyOr404(request.params.code);
      return render(request, reply, 'organisations/views/team-form.njk', {
        isNew: true,
        body,
        bodyHref: bodyPath(body),
        values: { code: '', name: '', email: '' },
      });
    },
  );

  app.post(
    '/admin/organisations/:code/teams/new',
    { schema: { params: bodyParams, body: teamForm } },
    async (request, reply) => {
      const body = await bodyOr404(request.params.code);
      const values = readTeamForm(request.body);
      try {
        const team = await organisations.createTeam(body, values);
        request.log.info({ staffId: request.staff?.id, body: body.code, team: team.code }, 'team added');
        return reply.redirect(`${bodyPath(body)}?saved=team-added#teams`, 303);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return render(request, reply, 'organisations/views/team-form.njk', {
          isNew: true,
          body,
          bodyHref: bodyPath(body),
          values,
          ...errors.view(),
        });
      }
    },
  );

  app.get(
    '/admin/organisations/:code/teams/:team',
    { schema: { params: teamParams } },
    async (request, reply) => {
      const params = request.params;
      const body = await bodyOr404(params.code);
      const team = await teamOr404(body, params.team);
      return render(request, reply, 'organisations/views/team-form.njk', {
        isNew: false,
        body,
        bodyHref: bodyPath(body),
        team,
        values: { code: team.code, name: team.name, email: team.email ?? '' },
      });
    },
  );

  app.post(
    '/admin/organisations/:code/teams/:team',
    { schema: { params: teamParams, body: teamForm } },
    async (request, reply) => {
      const params = request.params;
      const body = await bodyOr404(params.code);
      const team = await teamOr404(body, params.team);
      const values = { ...readTeamForm(request.body), code: team.code };
      try {
        await organisations.updateTeam(body, team.code, values);
        request.log.info({ staffId: request.staff?.id, body: body.code, team: team.code }, 'team changed');
        return reply.redirect(`${bodyPath(body)}?saved=team#teams`, 303);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return render(request, reply, 'organisations/views/team-form.njk', {
          isNew: false,
          body,
          bodyHref: bodyPath(body),
          team,
          values,
          ...errors.view(),
        });
      }
    },
  );
};
