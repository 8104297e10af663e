/**
 * The case page's view model: from what CaseworkService.casePage read (a camelCase Case and its
 * surroundings) to the parameters case.njk passes to the GOV.UK and MOJ macros. Pure: no database, no
 * request; the route passes in who is looking and what the form held.
 */
import { formatDateTime } from '../../lib/dates.js';
import { PRIORITY_LABELS, STATUS_LABELS, type Priority } from '../../lib/case-status.js';
import type { CaseStatus, StaffRole } from '../../db/database.js';
import type { Case, OtherCase, TimelineEntry } from '../cases/index.js';
import { INTERACTION_KINDS } from '../contacts/index.js';
import type { InteractionKind } from '../../db/database.js';
import { timeLeft } from './casework.service.js';

/** An item of a select, radios or checkboxes macro. */
export interface Item {
  value: string;
  text: string;
  selected?: boolean;
  checked?: boolean;
}

/** What the case page is built from: CaseworkService.casePage's answer, narrowed to what is shown. */
export interface CasePageInput {
  case: Case;
  service: {
    code: string;
    name: string;
    definition: {
      questions: { code: string; text: string; options?: { key: string; name: string }[] | undefined }[];
    };
  };
  services: { code: string; name: string }[];
  duplicateOf: string | null;
  duplicates: string[];
  team: { id: string; name: string } | undefined;
  teams: { id: string; name: string }[];
  colleagues: { id: string; name: string }[];
  contact: { id: string; name: string | null; email: string | null; phone: string | null } | undefined;
  otherCases: OtherCase[];
  interactions: {
    kind: InteractionKind;
    direction: string;
    summary: string;
    occurred_at: Date;
  }[];
  events: (TimelineEntry & { emails: { to: string; state: { text: string; tag: string } }[] })[];
  now: Date;
  statusChoices: CaseStatus[];
}

/** Who is looking, and what the page's forms hold (after a failed action, or a chosen template). */
export interface CasePageContext {
  staff: { id: string; role: StaffRole };
  photos: { id: string }[];
  templates: { id: string; name: string }[];
  chosenTemplateId?: string | undefined;
  /** The status the update form offers first: a chosen template's, else the case's own. */
  selectedStatus: CaseStatus;
  values: Record<string, string>;
  saved?: string | undefined;
}

/** MOJ badge modifier per priority: only what needs attention stands out. */
export const PRIORITY_BADGES: Record<Priority, { text: string; classes: string }> = {
  low: { text: 'Low priority', classes: 'moj-badge--grey' },
  normal: { text: 'Normal priority', classes: 'moj-badge--blue' },
  high: { text: 'High priority', classes: 'moj-badge--purple' },
  urgent: { text: 'Urgent', classes: 'moj-badge--red' },
};

const SAVED_MESSAGES: Record<string, string> = {
  assigned: 'Assignment saved',
  note: 'Note added',
  updated: 'Update saved and sent',
  service: 'Service changed and the case routed again',
  priority: 'Priority saved',
  duplicate: 'Marked as a duplicate; its reporter and followers now follow the original',
};

/** "email_queued" → "Email queued". */
export function eventTitle(kind: string): string {
  const words = kind.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

/** How the case came to its team, from the routing decision recorded on it. */
export function routingExplanation(routing: Record<string, unknown>): {
  decidedBy: string;
  steps: { rule: string; reason: string }[];
} {
  const decidedBy = routing.decidedBy as { kind?: string; name?: string } | undefined;
  const trace = Array.isArray(routing.trace)
    ? (routing.trace as { rule?: { name?: string }; reason?: string }[])
    : [];
  return {
    decidedBy: decidedBy?.kind === 'rule' ? `Rule “${decidedBy.name ?? ''}”` : "The service's default",
    steps: trace.map((step) => ({ rule: step.rule?.name ?? '', reason: step.reason ?? '' })),
  };
}

/** The reporter's answers to the service's questions, with each option's name rather than its key. */
export function answerRows(
  answers: Record<string, string | string[]>,
  questions: CasePageInput['service']['definition']['questions'],
) {
  return Object.entries(answers).map(([code, value]) => {
    const question = questions.find((q) => q.code === code);
    const shown = (Array.isArray(value) ? value : [value])
      .map((v) => question?.options?.find((o) => o.key === v)?.name ?? v)
      .join(', ');
    return { key: { text: question?.text ?? code }, value: { text: shown } };
  });
}

/** Types a list of choices as the macros take them (so that every item may be selected or checked). */
export function items(list: Item[]): Item[] {
  return list;
}

export function casePageView(data: CasePageInput, context: CasePageContext) {
  const found = data.case;
  const isOpen = found.closedAt === null;
  const overdue = isOpen && found.dueAt !== null && found.dueAt < data.now;
  const assignee = data.colleagues.find((s) => s.id === found.assigneeStaffId);
  const reference = found.reference;
  const values = context.values;
  const where =
    (found.locationDescription || 'Marked on a map') +
    (found.locationDetail ? ` (${found.locationDetail})` : '');
  const due = found.dueAt
    ? `${formatDateTime(found.dueAt)} (${isOpen ? timeLeft(found.dueAt, data.now) : 'closed'})`
    : 'No date';
  return {
    reference,
    serviceName: data.service.name,
    savedMessage: context.saved ? (SAVED_MESSAGES[context.saved] ?? 'Saved') : undefined,
    statusTag: { text: STATUS_LABELS[found.status], classes: isOpen ? 'govuk-tag--blue' : 'govuk-tag--grey' },
    overdue,
    priorityBadge: PRIORITY_BADGES[found.priority],
    duplicateOf: data.duplicateOf,
    duplicates: data.duplicates,
    summaryRows: [
      { key: { text: 'Where' }, value: { text: where } },
      { key: { text: 'Point' }, value: { text: `${found.lat}, ${found.lon}` } },
      { key: { text: 'Reported' }, value: { text: `${formatDateTime(found.createdAt)} (${found.channel})` } },
      { key: { text: 'Due' }, value: { text: due } },
      { key: { text: 'Priority' }, value: { text: PRIORITY_LABELS[found.priority] } },
      { key: { text: 'Team' }, value: { text: data.team ? data.team.name : 'None' } },
      { key: { text: 'Assigned to' }, value: { text: assignee ? assignee.name : 'Nobody' } },
      ...answerRows(found.answers, data.service.definition.questions),
      ...(found.description ? [{ key: { text: 'Description' }, value: { text: found.description } }] : []),
    ],
    photos: context.photos.map((p, index) => ({
      href: `/staff/cases/${reference}/photos/${p.id}/full`,
      src: `/staff/cases/${reference}/photos/${p.id}/thumbnail`,
      alt: `Photo ${index + 1} of ${context.photos.length} sent with the report`,
    })),
    map: { lat: found.lat, lon: found.lon },
    routing: routingExplanation(found.routing),
    timeline: data.events.map((e) => ({
      title: eventTitle(e.kind),
      tag: e.isPublic
        ? { text: 'Public', classes: 'govuk-tag--green' }
        : { text: 'Internal', classes: 'govuk-tag--grey' },
      byline: e.staffName ? `by ${e.staffName}` : e.actor !== 'staff' ? `(${e.actor})` : '',
      createdAt: e.createdAt,
      body: e.body,
      emails: e.emails.map((m) => ({ to: m.to, tag: { text: m.state.text, classes: m.state.tag } })),
      linkedReference:
        typeof e.data.reference === 'string' &&
        e.data.reference &&
        (e.kind === 'marked_duplicate' || e.kind === 'duplicate_merged')
          ? e.data.reference
          : undefined,
    })),
    resident: data.contact
      ? {
          href: `/staff/contacts/${data.contact.id}`,
          name: data.contact.name || 'No name given',
          email: data.contact.email || undefined,
          phone: data.contact.phone || '',
          otherCases: data.otherCases.map((c) => ({
            reference: c.reference,
            text: `${c.serviceName}, ${STATUS_LABELS[c.status]}`,
          })),
          interactions: data.interactions.map((i) => ({
            occurredAt: i.occurred_at,
            what: `${INTERACTION_KINDS[i.kind].toLowerCase()} ${i.direction === 'inbound' ? 'from them' : 'from us'}`,
            summary: i.summary,
          })),
        }
      : undefined,
    isOpen,
    canChangeStatus: context.staff.role !== 'agent',
    values,
    templateItems: items([
      { value: '', text: 'Choose a template' },
      ...context.templates.map((t) => ({
        value: t.id,
        text: t.name,
        selected: t.id === context.chosenTemplateId,
      })),
    ]),
    statusItems: items(
      data.statusChoices.map((s) => ({
        value: s,
        text: STATUS_LABELS[s],
        selected: s === context.selectedStatus,
      })),
    ),
    assigneeOptions: items([
      { value: '', text: 'Nobody' },
      ...data.colleagues.map((s) => ({
        value: s.id,
        text: s.id === context.staff.id ? `${s.name} (you)` : s.name,
        selected: s.id === found.assigneeStaffId,
      })),
    ]),
    teamOptions: items(
      data.teams.map((t) => ({
        value: t.id,
        text: t.name,
        selected: t.id === found.teamId,
      })),
    ),
    priorityItems: items(
      (Object.keys(PRIORITY_LABELS) as Priority[]).map((p) => ({
        value: p,
        text: PRIORITY_LABELS[p],
        checked: p === (values.priority ?? found.priority),
      })),
    ),
    serviceItems: items([
      { value: '', text: 'Choose a service' },
      ...data.services
        .filter((s) => s.code !== data.service.code)
        .map((s) => ({ value: s.code, text: s.name, selected: s.code === values.service })),
    ]),
  };
}
