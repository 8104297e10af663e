/**
 * Admin: staff accounts (the audit trail, which these actions write to, is the audit module's page).
 *
 *   GET       /admin/people                                  everyone, filtered by body and role
 *   GET, POST /admin/people/new                              add a person (they are emailed an invitation)
 *   GET       /admin/people/:id                              a person: details, sign-in state, actions
 *   GET, POST /admin/people/:id/edit                         change name, role, body, team
 *   GET, POST /admin/people/:id/disable                      confirm, then disable (ends their sessions)
 *   POST      /admin/people/:id/enable                       re-enable
 *   POST      /admin/people/:id/unlock                       lift a lockout
 *   GET, POST /admin/people/:id/reset-two-factor             confirm, then forget their authenticator app
 *   GET, POST /admin/people/:id/unlink-council-account       confirm, then forget their identity-provider link
 *   POST      /admin/people/:id/send-password-link           email a reset link (or a new invitation)
 *
 * The rules (and the audit rows) are in StaffAdminService; these routes read forms, show problems
 * against the fields and redirect to the person's page with a banner saying what was done.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { StaffRole } from '../../db/database.js';
import { formatDateTime } from '../../lib/dates.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import {
  STAFF_ROLES,
  STATUS_LABELS,
  type AdminActor,
  type Person,
  type PersonInput,
  type StaffStatus,
} from './staff-admin.service.js';
import { ROLE_LABELS } from './staff.service.js';
import { boundedField, buttonForm } from '../../infra/admin/index.js';

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const personParams = Type.Object({ id: Type.String({ pattern: UUID }) });
const personForm = Type.Object({
  name: boundedField,
  email: boundedField,
  role: boundedField,
  bodyCode: boundedField,
  teamCode: boundedField,
});

/** What the person's page says after an action, by the `done` query value. */
const DONE_MESSAGES: Record<string, string> = {
  added: 'Person added. They have been emailed an invitation to choose their password.',
  changed: 'Changes saved',
  disabled: 'Account disabled. They have been signed out everywhere.',
  enabled: 'Account re-enabled',
  unlocked: 'Account unlocked',
  'two-factor-reset':
    'Two-step verification reset. They have been signed out and will set it up again if their role requires it.',
  'council-account-unlinked':
    'Council account unlinked. Their next council sign-in with their email address will link the account they use then.',
  'reset-sent': 'Password reset email sent',
  'invitation-sent': 'A new invitation email has been sent',
};

/** MOJ badge colours by account status. */
const STATUS_BADGES: Record<StaffStatus, string> = {
  active: 'moj-badge--green',
  invited: 'moj-badge--blue',
  locked: 'moj-badge--orange',
  disabled: 'moj-badge--red',
};

function readPersonForm(body: Record<string, unknown>): PersonInput {
  return {
    name: asText(body.name),
    email: asText(body.email),
    role: asText(body.role),
    bodyCode: asText(body.bodyCode),
    teamCode: asText(body.teamCode),
  };
}

function actorOf(request: FastifyRequest): AdminActor {
  const staff = request.staff!;
  return { id: staff.id, name: staff.name, ip: request.ip };
}

function personPath(id: string): string {
  return `/admin/people/${id}`;
}

function badgeOf(person: Person) {
  return { text: STATUS_LABELS[person.status], classes: STATUS_BADGES[person.status] };
}

/** "12:05 on 5 December 2026"-style, or a dash. */
function when(date: Date | null): string {
  return date ? formatDateTime(date) : 'Not yet';
}

export const peopleAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const render = app.renderAdminPage;
  const { staffAdmin } = app;
  const { organisations } = app.domain;

  async function personOr404(id: string): Promise<Person> {
    const person = await staffAdmin.person(id);
    if (!person) throw new AppError('not_found', 'There is no such member of staff');
    return person;
  }

  async function formContext(values: PersonInput, errors?: FormErrors) {
    const [bodies, teams] = await Promise.all([organisations.bodies(), organisations.teams()]);
    return {
      values,
      roleItems: STAFF_ROLES.map((role) => ({
        value: role,
        text: ROLE_LABELS[role],
        checked: values.role === role,
      })),
      bodyOptions: [
        { value: '', text: 'Choose a body' },
        ...bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === values.bodyCode })),
      ],
      // Grouped by body in the text, as a select cannot be filtered without JavaScript; the service
      // checks the team is one of the chosen body's.
      teamOptions: [
        { value: '', text: 'No team' },
        ...teams.map((t) => ({
          value: t.code,
          text: `${bodies.find((b) => b.id === t.bodyId)?.name ?? ''}: ${t.name}`,
          selected: t.code === values.teamCode,
        })),
      ],
      ...(errors ? errors.view() : {}),
    };
  }

  async function personPage(
    request: FastifyRequest,
    reply: FastifyReply,
    person: Person,
    extra: { doneMessage?: string; refusal?: string } = {},
  ) {
    const self = request.staff!.id === person.id;
    const errors = new FormErrors();
    if (extra.refusal) errors.add('actions', extra.refusal);
    return render(request, reply, 'staff/views/person.njk', {
      person,
      self,
      badge: badgeOf(person),
      href: personPath(person.id),
      summaryRows: [
        { key: { text: 'Email address' }, value: { text: person.email } },
        { key: { text: 'Role' }, value: { text: person.roleLabel } },
        { key: { text: 'Body' }, value: { text: person.body.name } },
        { key: { text: 'Team' }, value: { text: person.team?.name ?? 'No team' } },
        {
          key: { text: 'Two-step verification' },
          value: { text: person.totpEnabled ? 'On (authenticator app)' : 'Off' },
        },
        ...(person.councilAccount
          ? [
              {
                key: { text: 'Council sign-in' },
                value: {
                  text: `Linked to ${person.councilAccount.subject} at ${person.councilAccount.issuer}`,
                },
              },
            ]
          : []),
        { key: { text: 'Last signed in' }, value: { text: when(person.lastSignInAt) } },
        { key: { text: 'Account added' }, value: { text: formatDateTime(person.createdAt) } },
        ...(person.lockedUntil
          ? [{ key: { text: 'Locked until' }, value: { text: formatDateTime(person.lockedUntil) } }]
          : []),
        ...(person.disabledAt
          ? [{ key: { text: 'Disabled' }, value: { text: formatDateTime(person.disabledAt) } }]
          : []),
      ],
      canUnlock: person.status === 'locked' || (person.failedAttempts > 0 && person.status !== 'disabled'),
      auditHref: `/admin/audit?person=${person.id}`,
      ...extra,
      ...(errors.any ? errors.view() : {}),
    });
  }

  // ---------------------------------------------------------------- the list
  app.get(
    '/admin/people',
    {
      schema: {
        querystring: Type.Object({
          body: Type.Optional(Type.String({ maxLength: 63 })),
          role: Type.Optional(Type.String({ maxLength: 20 })),
        }),
      },
    },
    async (request, reply) => {
      const query = request.query;
      const role = STAFF_ROLES.find((r) => r === query.role);
      const bodies = await organisations.bodies();
      const bodyCode = bodies.find((b) => b.code === query.body)?.code;
      const people = await staffAdmin.list({
        ...(bodyCode ? { bodyCode } : {}),
        ...(role ? { role: role as StaffRole } : {}),
      });
      return render(request, reply, 'staff/views/people.njk', {
        people: people.map((p) => ({
          ...p,
          href: personPath(p.id),
          badge: badgeOf(p),
          lastSignIn: p.lastSignInAt ? formatDateTime(p.lastSignInAt) : 'Not yet',
        })),
        filtered: Boolean(bodyCode || role),
        bodyOptions: [
          { value: '', text: 'Any body' },
          ...bodies.map((b) => ({ value: b.code, text: b.name, selected: b.code === bodyCode })),
        ],
        roleOptions: [
          { value: '', text: 'Any role' },
          ...STAFF_ROLES.map((r) => ({ value: r, text: ROLE_LABELS[r], selected: r === role })),
        ],
      });
    },
  );

  // ---------------------------------------------------------------- adding a person
  app.get('/admin/people/new', async (request, reply) =>
    render(request, reply, 'staff/views/person-form.njk', {
      isNew: true,
      ...(await formContext({ name: '', email: '', role: '', bodyCode: '', teamCode: '' })),
    }),
  );

  app.post('/admin/people/new', { schema: { body: personForm } }, async (request, reply) => {
    const values = readPersonForm(request.body);
    const result = await staffAdmin.invite(actorOf(request), values);
    if (result.outcome === 'ok') {
      request.log.info({ staffId: request.staff?.id, added: result.id }, 'staff member added');
      return reply.redirect(`${personPath(result.id)}?done=added`, 303);
    }
    const errors = new FormErrors();
    for (const [field, message] of Object.entries(result.problems)) errors.add(field, message);
    reply.status(400);
    return render(request, reply, 'staff/views/person-form.njk', {
      isNew: true,
      ...(await formContext(values, errors)),
    });
  });

  // ---------------------------------------------------------------- a person
  app.get(
    '/admin/people/:id',
    {
      schema: {
        params: personParams,
        querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 30 })) }),
      },
    },
    async (request, reply) => {
      const person = await personOr404(request.params.id);
      const done = request.query.done;
      return personPage(request, reply, person, done ? { doneMessage: DONE_MESSAGES[done] } : {});
    },
  );

  app.get('/admin/people/:id/edit', { schema: { params: personParams } }, async (request, reply) => {
    const person = await personOr404(request.params.id);
    return render(request, reply, 'staff/views/person-form.njk', {
      isNew: false,
      person,
      self: person.id === request.staff!.id,
      href: personPath(person.id),
      ...(await formContext({
        name: person.name,
        email: person.email,
        role: person.role,
        bodyCode: person.body.code,
        teamCode: person.team?.code ?? '',
      })),
    });
  });

  app.post(
    '/admin/people/:id/edit',
    { schema: { params: personParams, body: personForm } },
    async (request, reply) => {
      const person = await personOr404(request.params.id);
      const values = { ...readPersonForm(request.body), email: person.email };
      const result = await staffAdmin.update(actorOf(request), person.id, values);
      if (result.outcome === 'ok') return reply.redirect(`${personPath(person.id)}?done=changed`, 303);
      const errors = new FormErrors();
      for (const [field, message] of Object.entries(result.problems)) errors.add(field, message);
      reply.status(400);
      return render(request, reply, 'staff/views/person-form.njk', {
        isNew: false,
        person,
        self: person.id === request.staff!.id,
        href: personPath(person.id),
        ...(await formContext(values, errors)),
      });
    },
  );

  // ---------------------------------------------------------------- actions
  /** Destructive actions ask first: a page saying what will happen, with the button that does it. */
  const CONFIRMATIONS = {
    disable: {
      heading: (p: Person) => `Disable ${p.name}’s account?`,
      explanation: [
        'They will be signed out everywhere at once and will not be able to sign in.',
        'Cases assigned to them stay assigned to them. You can re-enable the account later.',
      ],
      button: 'Disable account',
    },
    'reset-two-factor': {
      heading: (p: Person) => `Reset two-step verification for ${p.name}?`,
      explanation: [
        'Their authenticator app and recovery codes will stop working, and they will be signed out everywhere.',
        'They will sign in with their password and, if their role requires two-step verification, set up an authenticator app again straight away. They will be emailed to say this was done.',
      ],
      button: 'Reset two-step verification',
    },
    'unlink-council-account': {
      heading: (p: Person) => `Unlink ${p.name}’s council account?`,
      explanation: [
        'They will no longer be able to sign in with the council account that is linked now.',
        'The next time someone signs in with a council account that has their email address (verified by the council’s sign-in service), that account will be linked instead. Do this when their council account has been replaced.',
      ],
      button: 'Unlink council account',
    },
  } as const;

  for (const [action, confirmation] of Object.entries(CONFIRMATIONS)) {
    app.get(`/admin/people/:id/${action}`, { schema: { params: personParams } }, async (request, reply) => {
      const person = await personOr404(request.params.id);
      return render(request, reply, 'staff/views/person-confirm.njk', {
        person,
        href: personPath(person.id),
        action: `${personPath(person.id)}/${action}`,
        heading: confirmation.heading(person),
        explanation: confirmation.explanation,
        button: confirmation.button,
      });
    });
  }

  const ACTIONS: Record<
    string,
    (actor: AdminActor, id: string) => Promise<{ outcome: 'ok' | 'refused'; reason?: string; done: string }>
  > = {
    disable: async (actor, id) => ({ ...(await staffAdmin.disable(actor, id)), done: 'disabled' }),
    enable: async (actor, id) => ({ ...(await staffAdmin.enable(actor, id)), done: 'enabled' }),
    unlock: async (actor, id) => ({ ...(await staffAdmin.unlock(actor, id)), done: 'unlocked' }),
    'reset-two-factor': async (actor, id) => ({
      ...(await staffAdmin.resetTwoFactor(actor, id)),
      done: 'two-factor-reset',
    }),
    'unlink-council-account': async (actor, id) => ({
      ...(await staffAdmin.unlinkCouncilAccount(actor, id)),
      done: 'council-account-unlinked',
    }),
    'send-password-link': async (actor, id) => {
      const result = await staffAdmin.sendPasswordLink(actor, id);
      return { ...result, done: result.invitation ? 'invitation-sent' : 'reset-sent' };
    },
  };

  for (const [action, run] of Object.entries(ACTIONS)) {
    app.post(
      `/admin/people/:id/${action}`,
      { schema: { params: personParams, body: buttonForm } },
      async (request, reply) => {
        const person = await personOr404(request.params.id);
        const result = await run(actorOf(request), person.id);
        if (result.outcome === 'ok') {
          request.log.info(
            { staffId: request.staff?.id, target: person.id, action },
            'staff account changed',
          );
          return reply.redirect(`${personPath(person.id)}?done=${result.done}`, 303);
        }
        reply.status(409);
        return personPage(request, reply, await personOr404(person.id), { refusal: result.reason! });
      },
    );
  }
};
