/**
 * The contact centre's view models: from a caller's record, cases, interactions and emails (as the
 * contacts and case-work services read them) to the parameters the pages pass to the GOV.UK macros.
 * Pure: no database, no request. The phone report's pages are not here (phone-report.routes.ts).
 */
import type { InteractionKind } from '../../db/database.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { formatDateTime } from '../../lib/dates.js';
import type { ContactCase } from '../cases/index.js';
import { INTERACTION_KINDS, type ContactMatch, type MergeField } from '../contacts/index.js';

/** A caller's record as the contacts service gives it. */
export interface CallerRecord {
  id: string;
  name: string | null;
  email: string | null;
  email_verified_at: Date | null;
  phone: string | null;
  postcode: string | null;
  address: string | null;
  created_at: Date;
}

/** A caller found by a search, with how many cases they have. */
export interface FoundCaller {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  caseCount: number;
}

/** One interaction with a caller, as the contacts service lists them. */
export interface InteractionRecord {
  kind: InteractionKind;
  direction: string;
  summary: string;
  occurred_at: Date;
  staff_name: string | null;
  case_reference: string | null;
}

/** An email sent to the caller, and what became of it (CaseworkService.emailsTo). */
export interface SentEmail {
  reference: string;
  what: string;
  at: Date;
  state: { text: string; tag: string };
}

const NONE_GIVEN = 'None given';

const SAVED_MESSAGES: Record<string, string> = {
  created: 'The caller was added.',
  interaction: 'The interaction was logged.',
  details: 'The caller’s details were saved.',
  merged: 'The two records were merged into this one.',
};

/** The search results' table rows (the find-a-caller page and the merge page's search). */
export function foundCallerRows(results: FoundCaller[]) {
  return results.map((c) => ({
    id: c.id,
    name: c.name || 'No name given',
    /** For the visually hidden end of a "Compare" link. */
    nameOrRecord: c.name || 'this record',
    email: c.email ?? '',
    phone: c.phone ?? '',
    postcode: c.postcode ?? '',
    caseCount: c.caseCount,
  }));
}

export function contactSearchView(
  q: string,
  searched: boolean,
  results: FoundCaller[],
  newCallerHref: string,
) {
  return {
    q,
    searched,
    results: foundCallerRows(results),
    resultsCaption: `${results.length} ${results.length === 1 ? 'caller matches' : 'callers match'} ‘${q}’`,
    newCallerHref,
  };
}

/** The new-caller form, and the people it may already be (shown first, to choose from). */
export function newCallerView(values: Record<string, string | undefined>, matches: ContactMatch[]) {
  return {
    values,
    matches: matches.map((m) => ({
      href: `/staff/contacts/${m.id}`,
      name: m.name || 'No name given',
      line: [m.email, m.phone, m.postcode].filter(Boolean).join(' · '),
      reasons: m.reasons.join(', '),
    })),
    shownIds: matches.map((m) => m.id).join(','),
  };
}

/** How the caller's page names them, in its title and in links' visually hidden text. */
function callerNames(contact: { id: string; name: string | null }) {
  return {
    id: contact.id,
    name: contact.name || 'No name given',
    nameInLinks: contact.name || 'this caller',
    pageTitle: `${contact.name || 'Caller'} – callers`,
  };
}

export interface ContactPageInput {
  contact: CallerRecord;
  cases: ContactCase[];
  interactions: InteractionRecord[];
  emails: SentEmail[];
  finished?: { reference: string; message: string } | undefined;
  mayMerge: boolean;
  saved?: string | undefined;
  /** The log-an-interaction form as it was sent (or its defaults). */
  values: Record<string, string>;
}

export function contactPageView(input: ContactPageInput) {
  const { contact, values } = input;
  return {
    caller: {
      ...callerNames(contact),
      email: contact.email ?? '',
      summaryRows: [
        {
          key: { text: 'Email address' },
          value: {
            text: contact.email
              ? contact.email + (contact.email_verified_at ? ' (confirmed by the resident)' : '')
              : NONE_GIVEN,
          },
        },
        { key: { text: 'Phone' }, value: { text: contact.phone || NONE_GIVEN } },
        { key: { text: 'Postcode' }, value: { text: contact.postcode || NONE_GIVEN } },
        { key: { text: 'Address' }, value: { text: contact.address || NONE_GIVEN } },
        { key: { text: 'First contact' }, value: { text: formatDateTime(contact.created_at) } },
      ],
    },
    finished: input.finished,
    savedMessage: input.saved ? SAVED_MESSAGES[input.saved] : undefined,
    mayMerge: input.mayMerge,
    cases: input.cases.map((c) => ({
      reference: c.reference,
      serviceName: c.serviceName,
      following: !c.reported,
      where: c.locationDescription || 'Marked on a map',
      createdAt: c.createdAt,
      statusTag: {
        text: STATUS_LABELS[c.status],
        classes: c.closedAt === null ? 'govuk-tag--blue' : 'govuk-tag--grey',
      },
    })),
    interactions: input.interactions.map((i) => ({
      occurredAt: i.occurred_at,
      kindLabel: INTERACTION_KINDS[i.kind],
      direction: i.direction === 'inbound' ? 'from the resident' : 'from us',
      summary: i.summary,
      caseReference: i.case_reference,
      by: i.staff_name ?? '',
    })),
    emails: input.emails.map((m) => ({
      at: m.at,
      what: m.what,
      reference: m.reference,
      tag: { text: m.state.text, classes: m.state.tag },
    })),
    noEmailsText: contact.email ? 'None yet.' : 'They have no email address with us.',
    values,
    kindItems: Object.entries(INTERACTION_KINDS).map(([value, text]) => ({
      value,
      text,
      checked: values.kind === value,
    })),
    directionItems: [
      { value: 'inbound', text: 'From the resident', checked: values.direction === 'inbound' },
      { value: 'outbound', text: 'From us to the resident', checked: values.direction === 'outbound' },
    ],
    caseItems: [
      { value: '', text: 'No case' },
      ...input.cases.map((c) => ({
        value: c.reference,
        text: `${c.reference}: ${c.serviceName}`,
        selected: values.case === c.reference,
      })),
    ],
  };
}

/** The change-details form: the caller's record as it is, or what was typed. */
export function editContactView(
  contact: Pick<CallerRecord, 'id' | 'name' | 'email' | 'phone' | 'postcode' | 'address'>,
  values?: Record<string, string | undefined>,
) {
  return {
    caller: { id: contact.id, email: contact.email ?? '' },
    values: values ?? {
      name: contact.name ?? '',
      phone: contact.phone ?? '',
      postcode: contact.postcode ?? '',
      address: contact.address ?? '',
    },
  };
}

export function mergeFindView(contact: CallerRecord, q: string, searched: boolean, results: FoundCaller[]) {
  return {
    caller: { id: contact.id, nameInLinks: contact.name || 'this caller' },
    q,
    searched,
    results: foundCallerRows(results).map((c) => ({
      ...c,
      compareHref: `/staff/contacts/${contact.id}/merge/${c.id}`,
    })),
  };
}

export const MERGE_FIELD_LABELS: Record<MergeField, string> = {
  name: 'Name',
  email: 'Email address',
  phone: 'Phone number',
  postcode: 'Postcode',
  address: 'Address',
};

export interface MergePreviewInput {
  keep: CallerRecord;
  other: CallerRecord;
  differing: MergeField[];
  moving: { reported: number; followed: number; interactions: number };
}

/** The two records side by side, and a choice for each detail they both have, differently. */
export function mergeConfirmView(
  preview: MergePreviewInput,
  fields: readonly MergeField[],
  chosen: Partial<Record<string, string>>,
) {
  const shown = (c: CallerRecord, field: MergeField) =>
    (field === 'email' && c.email && c.email_verified_at
      ? `${c.email} (confirmed by the resident)`
      : c[field]) ?? '';
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const { moving } = preview;
  return {
    keepId: preview.keep.id,
    otherId: preview.other.id,
    rows: [
      ...fields.map((field) => ({
        label: MERGE_FIELD_LABELS[field],
        keep: shown(preview.keep, field) || NONE_GIVEN,
        other: shown(preview.other, field) || NONE_GIVEN,
      })),
      {
        label: 'First contact',
        keep: formatDateTime(preview.keep.created_at),
        other: formatDateTime(preview.other.created_at),
      },
    ],
    moving:
      `From the other record, ${plural(moving.reported, 'case', 'cases')} reported, ${moving.followed} followed ` +
      `and ${plural(moving.interactions, 'interaction', 'interactions')} will move to this one.`,
    choices: fields
      .filter((field) => preview.differing.includes(field))
      .map((field) => ({
        name: field,
        legend: `Which ${MERGE_FIELD_LABELS[field].toLowerCase()} should be kept?`,
        items: [
          { value: 'keep', text: shown(preview.keep, field), checked: chosen[field] === 'keep' },
          { value: 'other', text: shown(preview.other, field), checked: chosen[field] === 'other' },
        ],
      })),
  };
}
