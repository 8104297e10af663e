/**
 * Admin: the audit trail, newest first, filtered by person, action, case reference and dates.
 *
 *   GET /admin/audit?person=&action=&reference=&from=&to=&page=
 *
 * A filter typed wrongly (a date that is not a date) shows the page with an error summary, never a 400
 * page of the error handler's.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { formatDateTime } from '../../lib/dates.js';
import { FormErrors } from '../../lib/forms.js';
import { fromLocal } from '../../lib/working-time.js';
import type { AuditService } from './audit.service.js';

const AUDIT_PAGE_SIZE = 50;
const UK = 'Europe/London';

const auditQuery = Type.Object({
  person: Type.Optional(Type.String({ maxLength: 36 })),
  action: Type.Optional(Type.String({ maxLength: 100 })),
  reference: Type.Optional(Type.String({ maxLength: 30 })),
  from: Type.Optional(Type.String({ maxLength: 10 })),
  to: Type.Optional(Type.String({ maxLength: 10 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, opts) => {
  app.get('/admin/audit', { schema: { querystring: auditQuery } }, async (request, reply) => {
    const query = request.query;
    const people = await app.staffAdmin.list();
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
    const result = await opts.audit.trail({
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
    return app.renderAdminPage(request, reply, 'audit/views/audit.njk', {
      events: result.events.map((e) => ({
        ...e,
        when: formatDateTime(e.at),
        who: e.staff ? e.staff.name : 'A system (no person)',
        caseHref: e.caseReference ? `/staff/cases/${encodeURIComponent(e.caseReference)}` : undefined,
        subject:
          typeof e.detail.targetStaffId === 'string'
            ? {
                name: nameOf.get(e.detail.targetStaffId) ?? String(e.detail.email ?? ''),
                href: `/admin/people/${e.detail.targetStaffId}`,
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
  });
};

/** A real date typed as YYYY-MM-DD (what a date input sends), or undefined. */
function parseDay(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const date = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text ? undefined : text;
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
