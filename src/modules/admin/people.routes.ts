/**
 * Admin: staff accounts, and the audit trail.
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
 *   GET       /admin/audit                                   the audit trail, filtered, 50 a page
 *
 * The rules (and the audit rows) are in StaffAdminService; these routes read forms, show problems
 * against the fields and redirect to the person's page with a banner saying what was done.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { Type } from 'typebox';
import type { StaffRole } from '../../db/database.js';
import { formatDateTime } from '../../lib/dates.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { fromLocal } from '../../lib/working-time.js';
import {
  STAFF_ROLES,
  STATUS_LABELS,
  type AdminActor,
  type Person,
  type PersonInput,
  type StaffStatus,
} from '../staff/staff-admin.service.js';
import { ROLE_LABELS } from '../staff/staff.service.js';
import { boundedField, type RenderAdminPage } from './admin-page.js';

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const personParams = Type.Object({ id: Type.String({ pattern: UUID }) });
const personForm = Type.Object({
  name: boundedField,
  email: boundedField,
  role: boundedField,
  bodyCode: boundedField,
  teamCode: boundedField,
});
const AUDIT_PAGE_SIZE = 50;
const UK = 'Europe/London';

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

/** A real date typed as YYYY-MM-DD (what a date input sends), or undefined. */
function parseDay(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text ? undefined : text;
}

export async function registerPeopleRoutes(
  app: FastifyInstance,
  { render, adminOnly }: { render: RenderAdminPage; adminOnly: RouteShorthandOptions },
): Promise<void> {
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
    return render(request, reply, 'person.njk', {
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
      ...adminOnly,
      schema: {
        querystring: Type.Object({
          body: Type.Optional(Type.String({ maxLength: 63 })),
          role: Type.Optional(Type.String({ maxLength: 20 })),
        }),
      },
    },
    async (request, reply) => {
      const query = request.query as { body?: string; role?: string };
      const role = STAFF_ROLES.find((r) => r === query.role);
      const bodies = await organisations.bodies();
      const bodyCode = bodies.find((b) => b.code === query.body)?.code;
      const people = await staffAdmin.list({
        ...(bodyCode ? { bodyCode } : {}),
        ...(role ? { role: role as StaffRole } : {}),
      });
      return render(request, reply, 'people.njk', {
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
  app.get('/admin/people/new', adminOnly, async (request, reply) =>
    render(request, reply, 'person-form.njk', {
      isNew: true,
      ...(await formContext({ name: '', email: '', role: '', bodyCode: '', teamCode: '' })),
    }),
  );

  app.post('/admin/people/new', { ...adminOnly, schema: { body: personForm } }, async (request, reply) => {
    const values = readPersonForm(request.body as Record<string, unknown>);
    const result = await staffAdmin.invite(actorOf(request), values);
    if (result.outcome === 'ok') {
      request.log.info({ staffId: request.staff?.id, added: result.id }, 'staff member added');
      return reply.redirect(`${personPath(result.id)}?done=added`, 303);
    }
    const errors = new FormErrors();
    for (const [field, message] of Object.entries(result.problems)) errors.add(field, message);
    reply.status(400);
    return render(request, reply, 'person-form.njk', { isNew: true, ...(await formContext(values, errors)) });
  });

  // ---------------------------------------------------------------- a person
  app.get(
    '/admin/people/:id',
    {
      ...adminOnly,
      schema: {
        params: personParams,
        querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 30 })) }),
      },
    },
    async (request, reply) => {
      const person = await personOr404((request.params as { id: string }).id);
      const done = (request.query as { done?: string }).done;
      return personPage(request, reply, person, done ? { doneMessage: DONE_MESSAGES[done] } : {});
    },
  );

  app.get(
    '/admin/people/:id/edit',
    { ...adminOnly, schema: { params: personParams } },
    async (request, reply) => {
      const person = await personOr404((request.params as { id: string }).id);
      return render(request, reply, 'person-form.njk', {
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
    },
  );

  app.post(
    '/admin/people/:id/edit',
    { ...adminOnly, schema: { params: personParams, body: personForm } },
    async (request, reply) => {
      const person = await personOr404((request.params as { id: string }).id);
      const values = { ...readPersonForm(request.body as Record<string, unknown>), email: person.email };
      const result = await staffAdmin.update(actorOf(request), person.id, values);
      if (result.outcome === 'ok') return reply.redirect(`${personPath(person.id)}?done=changed`, 303);
      const errors = new FormErrors();
      for (const [field, message] of Object.entries(result.problems)) errors.add(field, message);
      reply.status(400);
      return render(request, reply, 'person-form.njk', {
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
    app.get(
      `/admin/people/:id/${action}`,
      { ...adminOnly, schema: { params: personParams } },
      async (request, reply) => {
        const person = await personOr404((request.params as { id: string }).id);
        return render(request, reply, 'person-confirm.njk', {
          person,
          href: personPath(person.id),
          action: `${personPath(person.id)}/${action}`,
          heading: confirmation.heading(person),
          explanation: confirmation.explanation,
          button: confirmation.button,
        });
      },
    );
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
      { ...adminOnly, schema: { params: personParams } },
      async (request, reply) => {
        const person = await personOr404((request.params as { id: string }).id);
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

  // ---------------------------------------------------------------- the audit trail
  app.get(
    '/admin/audit',
    {
      ...adminOnly,
      schema: {
        querystring: Type.Object({
          person: Type.Optional(Type.String({ maxLength: 36 })),
          action: Type.Optional(Type.String({ maxLength: 100 })),
          reference: Type.Optional(Type.String({ maxLength: 30 })),
          from: Type.Optional(Type.String({ maxLength: 10 })),
          to: Type.Optional(Type.String({ maxLength: 10 })),
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
        }),
      },
    },
    async (request, reply) => {
      const query = request.query as {
        person?: string;
        action?: string;
        reference?: string;
        from?: string;
        to?: string;
        page?: number;
      };
      const people = await staffAdmin.list();
      const personId = people.find((p) => p.id === query.person)?.id;
      const errors = new FormErrors();
      const fromText = (query.from ?? '').trim();
      const toText = (query.to ?? '').trim();
      const from = fromText ? parseDay(fromText) : undefined;
      const to = toText ? parseDay(toText) : undefined;
      if (fromText && !from) errors.add('from', 'Enter the from date as year-month-day, like 2026-12-05');
      if (toText && !to) errors.add('to', 'Enter the to date as year-month-day, like 2026-12-05');
      if (from && to && to < from) {
        errors.add('to', 'The to date must be the same as or after the from date');
      }
      const page = query.page ?? 1;
      const result = await app.casework.auditTrail({
        ...(personId ? { staffId: personId } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.reference?.trim() ? { caseReference: query.reference.trim() } : {}),
        // Whole days in UK time, as the times on the page are: from its midnight to the end of the "to" day.
        ...(from && !errors.any ? { from: fromLocal(from, 0, UK) } : {}),
        ...(to && !errors.any ? { to: fromLocal(to, 24 * 60, UK) } : {}),
        page,
        pageSize: AUDIT_PAGE_SIZE,
      });
      const link = (p: number) => {
        const params = new URLSearchParams();
        if (personId) params.set('person', personId);
        if (query.action) params.set('action', query.action);
        if (query.reference) params.set('reference', query.reference);
        if (fromText) params.set('from', fromText);
        if (toText) params.set('to', toText);
        if (p > 1) params.set('page', String(p));
        const text = params.toString();
        return `/admin/audit${text ? `?${text}` : ''}`;
      };
      const lastPage = Math.max(1, Math.ceil(result.total / AUDIT_PAGE_SIZE));
      const nameOf = new Map(people.map((p) => [p.id, p.name]));
      if (errors.any) reply.status(400);
      return render(request, reply, 'audit.njk', {
        events: result.events.map((e) => ({
          ...e,
          when: formatDateTime(e.at),
          who: e.staff ? e.staff.name : 'A system (no person)',
          caseHref: e.caseReference ? `/staff/cases/${encodeURIComponent(e.caseReference)}` : undefined,
          subject:
            typeof e.detail.targetStaffId === 'string'
              ? {
                  name: nameOf.get(e.detail.targetStaffId) ?? String(e.detail.email ?? ''),
                  href: personPath(e.detail.targetStaffId),
                }
              : undefined,
          detailText: describeDetail(e.detail),
        })),
        total: result.total,
        filters: { reference: query.reference ?? '', from: fromText, to: toText },
        personOptions: [
          { value: '', text: 'Anyone' },
          ...people.map((p) => ({
            value: p.id,
            text: `${p.name} (${p.email})`,
            selected: p.id === personId,
          })),
        ],
        actionOptions: [
          { value: '', text: 'Any action' },
          ...result.actions.map((a) => ({ value: a, text: a, selected: a === query.action })),
        ],
        firstRow: result.total === 0 ? 0 : (page - 1) * AUDIT_PAGE_SIZE + 1,
        lastRow: Math.min(page * AUDIT_PAGE_SIZE, result.total),
        pagination: {
          ...(page > 1 ? { previous: { href: link(page - 1) } } : {}),
          ...(page < lastPage ? { next: { href: link(page + 1) } } : {}),
          items: pageItems(page, lastPage).map((n) =>
            n === 0 ? { ellipsis: true } : { number: String(n), href: link(n), current: n === page },
          ),
        },
        ...(errors.any ? errors.view() : {}),
      });
    },
  );
}

/** The page numbers to link to (0 for an ellipsis): the first, the last, and those next to this one. */
function pageItems(page: number, last: number): number[] {
  if (last <= 1) return [];
  const wanted = [...new Set([1, page - 1, page, page + 1, last])]
    .filter((n) => n >= 1 && n <= last)
    .sort((a, b) => a - b);
  const items: number[] = [];
  for (const [i, n] of wanted.entries()) {
    if (i > 0 && n - wanted[i - 1]! > 1) items.push(0);
    items.push(n);
  }
  return items;
}

/** The detail as "key: value" pairs, without the ids the row's links already show. */
function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([key]) => key !== 'targetStaffId')
    .map(([key, value]) => {
      if (key === 'changes' && value && typeof value === 'object') {
        return Object.entries(value as Record<string, [unknown, unknown]>)
          .map(([field, [was, now]]) => `${field}: ${String(was ?? 'none')} → ${String(now ?? 'none')}`)
          .join('; ');
      }
      return `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
    })
    .join('; ');
}
