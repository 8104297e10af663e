/**
 * The queue page's view model: from the queue the officer asked for (its view, filters, sort and page)
 * and what CaseworkService.queue found, to the parameters queue.njk passes to the GOV.UK macros: the
 * tabs, the filter form's options, the sortable headers, the table's rows, the bulk form and the
 * pagination. Pure: no database, no request.
 */
import type { CasePriority, CaseStatus, StaffRole } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { COUNT_CAP, type QueuedCase, type QueueSort, type QueueView } from '../cases/index.js';
import { items } from './case.view-models.js';
import { PAGE_SIZE, QUEUE_VIEWS } from './casework.service.js';

/** The queue's filters and sort, as they travel in the address and in the bulk form's hidden fields. */
export const FILTER_KEYS = [
  'service',
  'status',
  'ward',
  'priority',
  'channel',
  'from',
  'to',
  'q',
  'sort',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** The queue as asked for: the address's query, or the bulk form's hidden fields. */
export type QueueQuery = Partial<Record<FilterKey, string>> & {
  view?: string;
  page?: number;
  changed?: number;
};

export const PRIORITY_NAMES: Record<CasePriority, string> = {
  urgent: 'Urgent',
  high: 'High',
  normal: 'Normal',
  low: 'Low',
};

export const CHANNEL_NAMES: Record<string, string> = {
  web: 'Online',
  phone: 'Phone',
  email: 'Email',
  api: 'App (API)',
  open311: 'Open311',
  visit: 'In person',
  letter: 'Letter',
};

/** Sortable columns: the sort each header asks for, and how the table is sorted now (for aria-sort). */
export const SORTS: Record<QueueSort, { column: string; ariaSort: 'ascending' | 'descending' }> = {
  due: { column: 'due', ariaSort: 'ascending' },
  newest: { column: 'reported', ariaSort: 'descending' },
  oldest: { column: 'reported', ariaSort: 'ascending' },
  priority: { column: 'priority', ariaSort: 'descending' },
  reference: { column: 'case', ariaSort: 'ascending' },
};

const STATUSES = Object.keys(STATUS_LABELS) as CaseStatus[];
const SORT_NAMES = Object.keys(SORTS) as QueueSort[];

/** The view asked for, if it is one; otherwise the team's queue. */
export function queueViewOf(asked: string | undefined): QueueView {
  return QUEUE_VIEWS.find((v) => v.view === asked)?.view ?? 'team';
}

/** The sort asked for, if it is one offered (not just any key of an object, like "constructor"). */
export function sortOf(asked: string | undefined): QueueSort {
  return SORT_NAMES.find((s) => s === asked) ?? 'due';
}

/** The channel asked for, if it is one of the filter's. */
export function channelOf(asked: string | undefined): string | undefined {
  return asked !== undefined && Object.hasOwn(CHANNEL_NAMES, asked) ? asked : undefined;
}

/** The address of this queue with some of its parameters changed (empty ones left out). */
export function queueHref(
  view: QueueView,
  query: QueueQuery,
  changes: Record<string, string | number | undefined>,
): string {
  const merged: Record<string, string | number | undefined> = {
    view,
    ...Object.fromEntries(FILTER_KEYS.map((key) => [key, query[key]])),
    page: undefined,
    ...changes,
  };
  const search = new URLSearchParams(
    Object.entries(merged)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]): [string, string] => [k, String(v)]),
  );
  return `/staff/cases?${search}`;
}

/** A queued case with whether it is late or nearly due (CaseworkService.queue). */
export type QueueRow = QueuedCase & { overdue: boolean; dueSoon: boolean };

/** One line of the queue's table. */
export function queueRowView(row: QueueRow, index: number, selectedCases: string[]) {
  const urgentOrHigh = row.priority === 'urgent' || row.priority === 'high';
  return {
    reference: row.reference,
    checkboxId: index === 0 ? 'cases' : `case-${row.reference}`,
    selected: selectedCases.includes(row.reference),
    serviceName: row.serviceName,
    where: row.locationDescription || 'Marked on a map',
    statusTag: {
      text: STATUS_LABELS[row.status],
      classes: row.closedAt ? 'govuk-tag--grey' : 'govuk-tag--blue',
    },
    priorityBadge: urgentOrHigh
      ? {
          text: PRIORITY_NAMES[row.priority],
          classes: row.priority === 'urgent' ? 'moj-badge--red' : 'moj-badge--purple',
        }
      : undefined,
    priorityLabel: PRIORITY_NAMES[row.priority],
    createdAt: row.createdAt,
    channelLabel: CHANNEL_NAMES[row.channel],
    dueAt: row.dueAt,
    dueTag: row.overdue
      ? { text: 'Overdue', classes: 'govuk-tag--red' }
      : row.dueSoon
        ? { text: 'Due soon', classes: 'govuk-tag--yellow' }
        : undefined,
    assignedTo: row.assigneeName || (row.teamName ? `${row.teamName} (team)` : 'Nobody'),
  };
}

export interface QueuePageInput {
  view: QueueView;
  query: QueueQuery;
  sort: QueueSort;
  page: number;
  rows: QueueRow[];
  counts: Record<QueueView, number>;
  staff: { id: string; role: StaffRole };
  services: { code: string; name: string }[];
  wards: { code: string; name: string }[];
  colleagues: { id: string; name: string }[];
  teams: { id: string; name: string }[];
  /** What the bulk form held, when it comes back with an error. */
  bulkValues?: { assignTo?: string; newStatus?: string; publicUpdate?: string; cases?: string[] } | undefined;
}

export function queuePageView(input: QueuePageInput) {
  const { view, query, sort, page, counts, staff } = input;
  const href = (changes: Record<string, string | number | undefined>) => queueHref(view, query, changes);
  const total = counts[view];
  const capped = total > COUNT_CAP;
  const bulkValues = input.bulkValues ?? {};
  const selectedCases = bulkValues.cases ?? [];
  const sortHeader = (column: string, label: string, ascending: QueueSort, descending: QueueSort) => {
    const current = SORTS[sort].column === column ? SORTS[sort].ariaSort : undefined;
    const next = current === 'ascending' ? descending : ascending;
    return { label, href: href({ sort: next }), ariaSort: current ?? 'none' };
  };
  return {
    view,
    viewLabel: QUEUE_VIEWS.find((v) => v.view === view)!.label,
    tabs: QUEUE_VIEWS.map((v) => ({
      label: v.label,
      count: counts[v.view] > COUNT_CAP ? `${COUNT_CAP.toLocaleString('en-GB')}+` : counts[v.view],
      href: href({ view: v.view }),
      current: v.view === view,
    })),
    rows: input.rows.map((row, index) => queueRowView(row, index, selectedCases)),
    total,
    capped,
    filters: Object.fromEntries(FILTER_KEYS.map((key) => [key, query[key] ?? ''])),
    filterKeys: FILTER_KEYS,
    headers: {
      case: sortHeader('case', 'Case', 'reference', 'reference'),
      priority: sortHeader('priority', 'Priority', 'priority', 'priority'),
      reported: sortHeader('reported', 'Reported', 'oldest', 'newest'),
      due: sortHeader('due', 'Due', 'due', 'due'),
    },
    wardOptions: [
      { value: '', text: 'Any ward' },
      ...input.wards.map((w) => ({ value: w.code, text: w.name, selected: w.code === query.ward })),
      // A ward in the address that is not (or no longer) one of the council's is still shown as chosen.
      ...(query.ward && !input.wards.some((w) => w.code === query.ward)
        ? [{ value: query.ward, text: query.ward, selected: true }]
        : []),
    ],
    priorityOptions: [
      { value: '', text: 'Any priority' },
      ...Object.entries(PRIORITY_NAMES).map(([value, text]) => ({
        value,
        text,
        selected: value === query.priority,
      })),
    ],
    channelOptions: [
      { value: '', text: 'Any channel' },
      ...Object.entries(CHANNEL_NAMES).map(([value, text]) => ({
        value,
        text,
        selected: value === query.channel,
      })),
    ],
    serviceOptions: [
      { value: '', text: 'Any service' },
      ...input.services.map((s) => ({ value: s.code, text: s.name, selected: s.code === query.service })),
    ],
    statusOptions: [
      { value: '', text: view === 'all' ? 'Any status' : 'Open' },
      { value: 'open', text: 'Open', selected: query.status === 'open' },
      { value: 'closed', text: 'Closed', selected: query.status === 'closed' },
      ...STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s], selected: s === query.status })),
    ],
    pagination: {
      ...(page > 1 ? { previous: { href: href({ page: page - 1 }) } } : {}),
      ...(page * PAGE_SIZE < total || (capped && input.rows.length === PAGE_SIZE)
        ? { next: { href: href({ page: page + 1 }) } }
        : {}),
    },
    firstRow: total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1,
    lastRow: capped ? (page - 1) * PAGE_SIZE + input.rows.length : Math.min(page * PAGE_SIZE, total),
    changed: query.changed,
    page,
    canChangeStatus: staff.role !== 'agent',
    assignToOptions: [
      { value: '', text: 'Choose' },
      { value: 'me', text: 'Me' },
      { value: 'nobody', text: 'Nobody (unassign)' },
      ...input.colleagues
        .filter((s) => s.id !== staff.id)
        .map((s) => ({ value: `staff:${s.id}`, text: s.name })),
      ...input.teams.map((t) => ({ value: `team:${t.id}`, text: `${t.name} (team)` })),
    ].map((o) => ({ ...o, selected: o.value !== '' && o.value === bulkValues.assignTo })),
    bulkPublicUpdate: bulkValues.publicUpdate ?? '',
    newStatusOptions: items([
      { value: '', text: 'Choose' },
      ...STATUSES.map((s) => ({
        value: s,
        text: STATUS_LABELS[s],
        selected: s === bulkValues.newStatus,
      })),
    ]),
  };
}
