/**
 * The report journey's steps, as rules every channel shares (the web journey in journey-web.ts, the
 * contact centre's phone report): the bounded form bodies, choosing the place, choosing the service,
 * reading the service's answers. Rules such as "a place where the chosen service is not offered sends the
 * report back to choosing the service" live here, once, not in route handlers. Each channel builds its
 * pages (its own templates and wording) around these. No Fastify, no database: services are passed in.
 */
import { Type, type Static } from 'typebox';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { checkAnswers } from '../services/index.js';
import { answersFromForm, questionFieldId } from '../services/index.js';
import { stopFor } from '../services/index.js';
import type { Service } from '../services/index.js';

/** What every channel's report in progress holds (the web journey keeps more). */
export interface ReportDraft {
  lat?: number;
  lon?: number;
  /** How the place was chosen, in words ("M33 7AA", "Bradgate Road, Sale", "Pin on the map"). */
  placeLabel?: string;
  serviceCode?: string;
  /** Kept by channels that ask the service's questions on a page of their own. */
  answers?: Record<string, string | string[]>;
  /** The reporter decided the nearby reports are not the same problem. */
  nearbyChecked?: boolean;
  /** The check page has been shown: "Continue" goes back there. */
  reachedCheck?: boolean;
}

/** The parts of the place and service lookups the steps use (so the rules test without a database). */
export interface PlaceLookups {
  gazetteer: {
    search(q: string, options: { limit: number }): Promise<{ id: string; label: string; detail: string }[]>;
    find(id: string): Promise<{ lat: number; lon: number; label: string } | null>;
    describePoint(lon: number, lat: number): Promise<string | null>;
  };
  routing: {
    servicesAt(lon: number, lat: number): Promise<{ services: Service[] }>;
    outsideAreaContact(): Promise<{ message: string }>;
  };
}

// ------------------------------------------------------------------ bodies
const csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
/** A text field: long enough for anything a step accepts, so the step's own message explains a limit. */
const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
/** A field that may come once or several times (checkboxes). */
const listOf = (maxItems: number) =>
  Type.Optional(
    Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems })]),
  );

export const PlaceBody = Type.Object(
  { ...csrf, q: text(200), place: text(200), lat: text(40), lon: text(40) },
  { additionalProperties: false },
);
export const ServiceBody = Type.Object({ ...csrf, service: text(100) }, { additionalProperties: false });
/** The answers to a service's questions are fields named by the question codes, so they are open-ended. */
const AnswerValue = Type.Union([
  Type.String({ maxLength: 10_000 }),
  Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 100 }),
]);
export const AnswersBody = Type.Object(
  { ...csrf },
  { additionalProperties: AnswerValue, maxProperties: 200 },
);
export const DetailsBody = Type.Object(
  { ...csrf, description: text(20_000), locationDetail: text(5_000) },
  { additionalProperties: false },
);
export const AboutYouBody = Type.Object(
  { ...csrf, name: text(500), email: text(500), phone: text(200), flags: listOf(5) },
  { additionalProperties: false },
);
/** The phone report's one page: the service's answers and what the caller said, together. */
export const CallerReportBody = Type.Object(
  { ...csrf, description: text(20_000), locationDetail: text(5_000), updates: listOf(5) },
  { additionalProperties: AnswerValue, maxProperties: 200 },
);
export const NearbyBody = Type.Object({ ...csrf, action: text(100) }, { additionalProperties: false });

// ------------------------------------------------------------------ where
/** Places matching a search for the place list, and what is wrong with the search, added to `errors`. */
export async function searchPlaces(
  lookups: PlaceLookups,
  q: string,
  errors: FormErrors,
  noMatchAdvice: string,
): Promise<{ value: string; text: string; hint: { text: string } }[]> {
  const results = q.trim().length >= 2 ? await lookups.gazetteer.search(q, { limit: 10 }) : [];
  if (q && q.trim().length < 2) errors.add('q', 'Enter at least 2 characters of a postcode, street or place');
  else if (q && results.length === 0) errors.add('q', `No places match ‘${q.trim()}’. ${noMatchAdvice}`);
  return results.map((r) => ({ value: r.id, text: r.label, hint: { text: r.detail } }));
}

/**
 * Sets the place from the form: a place chosen from the search results or, where the channel has a map,
 * a pin. Refused when nothing was chosen or no service is offered there. A place that moved needs the
 * nearby reports checked again, and a service not offered at the new place is chosen again.
 */
export async function choosePlace(
  lookups: PlaceLookups,
  draft: ReportDraft,
  body: Static<typeof PlaceBody>,
  options: { pin: boolean },
): Promise<FormErrors | undefined> {
  const errors = new FormErrors();
  const q = asText(body.q);
  const place = asText(body.place);
  let point: { lat: number; lon: number; label: string } | undefined;
  if (place) {
    const found = await lookups.gazetteer.find(place);
    if (found) point = { lat: found.lat, lon: found.lon, label: found.label };
  } else if (options.pin && asText(body.lat) && asText(body.lon)) {
    const lat = Number(asText(body.lat));
    const lon = Number(asText(body.lon));
    if (Number.isFinite(lat) && Number.isFinite(lon)) {
      const label = (await lookups.gazetteer.describePoint(lon, lat)) ?? 'The place marked on the map';
      point = { lat, lon, label };
    }
  }
  if (!point) {
    errors.add(q ? 'place' : 'q', q ? 'Select the place from the list' : 'Enter a postcode, street or place');
    return errors;
  }
  const here = await lookups.routing.servicesAt(point.lon, point.lat);
  if (here.services.length === 0) {
    errors.add(place ? 'place' : 'q', (await lookups.routing.outsideAreaContact()).message);
    return errors;
  }
  if (draft.lat !== point.lat || draft.lon !== point.lon) {
    if (draft.nearbyChecked) draft.nearbyChecked = false;
  }
  Object.assign(draft, { lat: point.lat, lon: point.lon, placeLabel: point.label });
  if (draft.serviceCode && !here.services.some((s) => s.code === draft.serviceCode)) delete draft.serviceCode;
  return undefined;
}

// ------------------------------------------------------------------ what
/** The services offered at the draft's place (none before a place is chosen). */
export async function servicesHere(lookups: PlaceLookups, draft: ReportDraft): Promise<Service[]> {
  if (draft.lat === undefined || draft.lon === undefined) return [];
  return (await lookups.routing.servicesAt(draft.lon, draft.lat)).services;
}

/**
 * Sets the service, if it is offered at the place (false when it is not). A different service has other
 * questions and other nearby reports: its answers, the nearby check and the check page start again.
 */
export async function chooseService(
  lookups: PlaceLookups,
  draft: ReportDraft,
  code: string,
): Promise<boolean> {
  if (!(await servicesHere(lookups, draft)).some((s) => s.code === code)) return false;
  if (draft.serviceCode !== code) {
    if (draft.answers) draft.answers = {};
    if (draft.nearbyChecked) draft.nearbyChecked = false;
    if (draft.reachedCheck) draft.reachedCheck = false;
  }
  draft.serviceCode = code;
  return true;
}

// ------------------------------------------------------------------ the service's questions
/** The questions a person answers (not notices, not those the system fills in). */
export function askedQuestions(service: Service) {
  return service.definition.questions.filter((q) => q.datatype !== 'notice' && !q.automated);
}

/**
 * The service's answers from a posted form: what was typed (to show again), the service's "stop" message
 * if an answer means this is not the place to report it, and the checked answers or their problems (each
 * keyed by its field id, for the error summary).
 */
export function readAnswers(service: Service, body: Record<string, unknown>) {
  const raw = answersFromForm(service.definition, body);
  const stop = stopFor(service.definition, raw as Record<string, string | string[]>);
  const { answers, problems } = checkAnswers(service.definition, raw);
  return {
    raw,
    stop,
    answers,
    problems: problems.map((p) => ({ field: questionFieldId(p.question), message: p.message })),
  };
}

// ------------------------------------------------------------------ photos and checkboxes
/** How many photos the service takes (0: none). */
export function photoLimit(service: Service): number {
  return service.definition.photos.allowed ? service.definition.photos.max : 0;
}

/** Which of a checkbox group's values were ticked. */
export function ticked(value: unknown, option: string): boolean {
  return asList(value).includes(option);
}
