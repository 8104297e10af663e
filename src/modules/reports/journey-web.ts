/**
 * The resident's report journey on the web, as steps for the journey engine (src/infra/journey): where
 * is it, what is it, already reported?, the service's questions, details, about you. The check page and
 * sending are in journey-check.ts; the routes that are not steps (start, photos, following a report, the
 * confirmation) and the channel itself are in journey.routes.ts. Each step builds its page's view model
 * and applies its form with the rules in journey-steps.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { defineStep, type JourneyStep, type StepPage } from '../../infra/journey/engine.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { questionItems } from '../services/index.js';
import type { Service } from '../services/index.js';
import { reporterProblems } from '../cases/index.js';
import { firstIncompleteStep, STEP_ORDER, type JourneyState, type Step } from './journey.js';
import {
  AboutYouBody,
  AnswersBody,
  askedQuestions,
  choosePlace,
  chooseService,
  DetailsBody,
  NearbyBody,
  photoLimit,
  PlaceBody,
  readAnswers,
  searchPlaces,
  ServiceBody,
  servicesHere,
  ticked,
} from './journey-steps.js';

/** One request's view of the web journey. */
export interface WebContext {
  request: FastifyRequest;
}

export type WebStep = JourneyStep<JourneyState, WebContext>;

/** What the web steps read and write through: the app's services. */
export function webJourneyHelpers(app: FastifyInstance) {
  const { services, reports } = app.domain;

  async function serviceOf(journey: JourneyState): Promise<Service | undefined> {
    return journey.serviceCode ? services.get(journey.serviceCode) : undefined;
  }

  /** Open public reports of the chosen service near the place: maybe the same problem. */
  async function nearbyFor(journey: JourneyState) {
    if (journey.lat === undefined || journey.lon === undefined || !journey.serviceCode) return [];
    return reports.nearbyOpen(
      { lat: journey.lat, lon: journey.lon },
      app.config.CIVICDESK_DUPLICATE_RADIUS_METRES,
      { serviceCode: journey.serviceCode, limit: 5 },
    );
  }

  /** The first step still missing, if the step asked for is further on (someone jumped ahead). */
  async function missingBefore(journey: JourneyState, step: string): Promise<Step | undefined> {
    const service = await serviceOf(journey);
    const questions = service ? askedQuestions(service) : [];
    const missing = firstIncompleteStep(journey, {
      hasQuestions: questions.length > 0,
      questionsAnswered: questions.every((q) => !q.required || journey.answers[q.code] !== undefined),
      hasNearby: step === 'where' || step === 'what' ? false : (await nearbyFor(journey)).length > 0,
    });
    const order: readonly string[] = STEP_ORDER;
    return order.indexOf(missing) < order.indexOf(step) ? missing : undefined;
  }

  return { serviceOf, nearbyFor, missingBefore };
}

type Helpers = ReturnType<typeof webJourneyHelpers>;

/** Where "Continue" goes: back to the check page once the resident has been there. */
function resume(journey: JourneyState, step: Step): Step {
  return journey.reachedCheck ? 'check' : step;
}

function page(template: string, model: Record<string, unknown>, status?: number): StepPage {
  return { template: `reports/views/journey/${template}`, model, ...(status ? { status } : {}) };
}

export function webJourneySteps(app: FastifyInstance, helpers: Helpers): WebStep[] {
  const { routing, gazetteer } = app.domain;
  const lookups = { gazetteer, routing };
  const { serviceOf, nearbyFor } = helpers;
  // A service that is there when the step is reached (the guard sends the resident back otherwise).
  const serviceNow = async (journey: JourneyState) => (await serviceOf(journey))!;

  const where = defineStep({
    name: 'where',
    body: PlaceBody,
    query: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }),
    initial: (_ctx: WebContext, _journey: JourneyState, query) => ({ q: query.q ?? '' }),
    typed: (_ctx, _journey, body) => ({ q: asText(body.q) }),
    // The where page is the journey's first: opening it keeps a new journey, for the photo routes.
    opened: () => true,
    async page(_ctx, journey, form) {
      const q = String(form.values.q ?? '');
      const errors = form.errors;
      const results = await searchPlaces(
        lookups,
        q,
        errors,
        'Check the spelling, or try a postcode or a street name',
      );
      return page(
        'where.njk',
        {
          q,
          service: await serviceOf(journey),
          results,
          point:
            journey.lat !== undefined
              ? { lat: journey.lat, lon: journey.lon, label: journey.placeLabel }
              : undefined,
          // The map opens over the council's area until a place is chosen.
          bounds: (await app.domain.areaIndex.get()).coverage?.join(',') ?? '',
          expired: form.expired,
          ...errors.view(),
        },
        form.expired ? 200 : errors.any ? 400 : 200,
      );
    },
    async apply(_ctx, journey, body) {
      const errors = await choosePlace(lookups, journey, body, { pin: true });
      return errors ? { outcome: 'invalid', values: { q: asText(body.q) }, errors } : { outcome: 'next' };
    },
    // A service chosen at the start, and still offered here, needs no choosing.
    next: (_ctx, journey) => resume(journey, journey.serviceCode ? 'nearby' : 'what'),
  });

  const what = defineStep({
    name: 'what',
    body: ServiceBody,
    initial: () => ({}),
    typed: () => ({}),
    async page(_ctx: WebContext, journey: JourneyState, form) {
      const groups = new Map<
        string,
        { value: string; text: string; hint?: { text: string }; checked: boolean }[]
      >();
      for (const s of await servicesHere(lookups, journey)) {
        const group = s.group || 'Other';
        groups.set(group, [
          ...(groups.get(group) ?? []),
          {
            value: s.code,
            text: s.name,
            ...(s.description ? { hint: { text: s.description } } : {}),
            checked: s.code === journey.serviceCode,
          },
        ]);
      }
      const items: object[] = [];
      for (const [group, list] of groups) {
        if (groups.size > 1) items.push({ divider: group });
        items.push(...list);
      }
      return page('what.njk', {
        items,
        placeLabel: journey.placeLabel,
        expired: form.expired,
        ...form.errors.view(),
      });
    },
    async apply(_ctx, journey, body) {
      if (await chooseService(lookups, journey, asText(body.service))) return { outcome: 'next' };
      const errors = new FormErrors();
      errors.add('service', 'Select what you want to report');
      return { outcome: 'invalid', values: {}, errors };
    },
    next: (_ctx, journey) => resume(journey, 'nearby'),
  });

  const nearby = defineStep({
    name: 'nearby',
    body: NearbyBody,
    initial: () => ({}),
    typed: () => ({}),
    restartWhenExpired: 'nearby',
    async skip(_ctx: WebContext, journey: JourneyState) {
      if ((await nearbyFor(journey)).length > 0) return undefined;
      // Checked and clear: a report made nearby later does not send this resident back here.
      journey.nearbyChecked = true;
      return resume(journey, 'questions');
    },
    async page(_ctx, journey) {
      return page('nearby.njk', { nearby: await nearbyFor(journey), service: await serviceOf(journey) });
    },
    async apply(_ctx, journey, body) {
      const action = asText(body.action);
      if (action.startsWith('follow:'))
        return {
          outcome: 'leave',
          to: `/report/follow/${encodeURIComponent(action.slice('follow:'.length))}`,
        };
      journey.nearbyChecked = true;
      return { outcome: 'next' };
    },
    next: (_ctx, journey) => resume(journey, 'questions'),
  });

  const questionsPage = (
    service: Service,
    answers: Record<string, unknown>,
    errors: FormErrors,
    expired = false,
  ) =>
    page('questions.njk', {
      service,
      questions: questionItems(
        service.definition.questions.filter((q) => !q.automated),
        answers,
        errors,
      ),
      expired,
      ...errors.view(),
    });

  const questions = defineStep({
    name: 'questions',
    body: AnswersBody,
    initial: (_ctx: WebContext, journey: JourneyState) => journey.answers,
    // What was typed before the session ran out is shown again: the answers are the form's own fields.
    typed: (_ctx, _journey, body) => body,
    async skip(_ctx, journey) {
      return askedQuestions(await serviceNow(journey)).length === 0 ? resume(journey, 'details') : undefined;
    },
    async page(_ctx, journey, form) {
      const service = await serviceNow(journey);
      return questionsPage(service, form.values, form.errors, form.expired);
    },
    async apply(_ctx, journey, body) {
      const service = await serviceNow(journey);
      const { raw, stop, answers, problems } = readAnswers(service, body);
      if (stop) return { outcome: 'show', page: page('stop.njk', { service, message: stop }) };
      if (problems.length) {
        const errors = new FormErrors();
        for (const p of problems) errors.add(p.field, p.message);
        return { outcome: 'invalid', values: raw, errors };
      }
      journey.answers = answers;
      return { outcome: 'next' };
    },
    next: (_ctx, journey) => resume(journey, 'details'),
  });

  const details = defineStep({
    name: 'details',
    body: DetailsBody,
    initial: (_ctx: WebContext, journey: JourneyState) => ({
      description: journey.description ?? '',
      locationDetail: journey.locationDetail ?? '',
    }),
    typed: (_ctx, _journey, body) => ({
      description: asText(body.description),
      locationDetail: asText(body.locationDetail),
    }),
    async page(_ctx, journey, form) {
      const service = await serviceNow(journey);
      return page('details.njk', {
        service,
        descriptionRequired: askedQuestions(service).length === 0,
        values: form.values,
        placeLabel: journey.placeLabel,
        expired: form.expired,
        ...form.errors.view(),
      });
    },
    async apply(_ctx, journey, body) {
      const values = { description: asText(body.description), locationDetail: asText(body.locationDetail) };
      const service = await serviceNow(journey);
      const errors = new FormErrors();
      if (!values.description && askedQuestions(service).length === 0)
        errors.add('description', 'Enter a description of the problem');
      if (values.description.length > 5000)
        errors.add('description', 'Description must be 5,000 characters or fewer');
      if (values.locationDetail.length > 1000)
        errors.add('locationDetail', 'The exact spot must be 1,000 characters or fewer');
      if (errors.any) return { outcome: 'invalid', values, errors };
      Object.assign(journey, values);
      return { outcome: 'next' };
    },
    // Photos is an optional page that details leads to itself, when the service takes photos.
    next: async (_ctx, journey) =>
      photoLimit(await serviceNow(journey)) > 0 ? 'photos' : resume(journey, 'about-you'),
  });

  const aboutYou = defineStep({
    name: 'about-you',
    body: AboutYouBody,
    initial: (_ctx: WebContext, journey: JourneyState) => ({ ...journey.reporter }),
    typed: (_ctx, _journey, body) => reporterFrom(body),
    async page(_ctx, journey, form) {
      const service = await serviceNow(journey);
      return page('about-you.njk', {
        service,
        anonymousAllowed: service.definition.anonymousAllowed,
        values: form.values,
        expired: form.expired,
        ...form.errors.view(),
      });
    },
    async apply(_ctx, journey, body) {
      const values = reporterFrom(body);
      const errors = new FormErrors();
      for (const p of reporterProblems(await serviceNow(journey), values)) errors.add(p.field, p.message);
      if (errors.any) return { outcome: 'invalid', values, errors };
      journey.reporter = values;
      return { outcome: 'next' };
    },
    next: () => 'check',
  });

  return [where, what, nearby, questions, details, aboutYou];
}

function reporterFrom(body: {
  name?: string;
  email?: string;
  phone?: string;
  flags?: string | string[];
}): JourneyState['reporter'] {
  return {
    name: asText(body.name),
    email: asText(body.email),
    phone: asText(body.phone),
    wantsUpdates: ticked(body.flags, 'updates'),
    showNamePublicly: ticked(body.flags, 'showName'),
  };
}
