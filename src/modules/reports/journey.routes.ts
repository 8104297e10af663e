/**
 * The resident's report journey, one question per page in the GOV.UK pattern: where is it, what is it,
 * already reported?, the service's questions, details, about you, check your answers, confirmation.
 * Every page works without JavaScript (the map and type-ahead only enhance the place search); state
 * lives in the session under one key; every POST validates and either moves on (303) or shows the page
 * again with an error summary and what was typed. A session that expired mid-form shows the form again
 * with the typed values rather than an error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, type FieldError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import { formatFileSize } from '../photos/photo-processing.js';
import { readMultipartForm } from '../photos/photos.routes.js';
import { checkAnswers } from '../services/answers.js';
import { answersFromForm, questionFieldId, questionItems } from '../services/question-fields.js';
import { stopFor } from '../services/service-definition.js';
import type { Service } from '../services/services.service.js';
import { rememberTrackedCase, trackedCases, viewModel } from './index.js';
import { reporterProblems } from '../cases/index.js';
import {
  firstIncompleteStep,
  JOURNEY_KEY,
  newJourney,
  nextAfter,
  readJourney,
  STEP_PATHS,
  type JourneyState,
  type Step,
} from './journey.js';

type Body = Record<string, unknown>;

/** Photos uploaded during a journey belong to it until the report is sent. */
function ownerKeyOf(journey: JourneyState): string {
  return `web:${journey.id}`;
}

/** For the photo routes: the uploader's key, so residents can see their own photos before sending. */
export async function photoOwnerKeyFor(request: FastifyRequest): Promise<string | undefined> {
  const journey = readJourney((await request.loadSession())?.data);
  return journey ? ownerKeyOf(journey) : undefined;
}

export default async function journeyRoutes(app: FastifyInstance): Promise<void> {
  const { services, routing, gazetteer, reports } = app.domain;
  // Generous for a person filling in a form; a ceiling for anything scripted against it.
  const journeyPost = {
    config: {
      csrfOnMissingSession: 'recover' as const,
      rateLimit: { max: 60, timeWindow: '1 minute' },
    },
  };

  async function load(request: FastifyRequest): Promise<JourneyState> {
    const session = await request.ensureSession();
    return readJourney(session.data) ?? newJourney();
  }

  async function save(request: FastifyRequest, journey: JourneyState): Promise<void> {
    const session = await request.ensureSession();
    session.data = { ...session.data, [JOURNEY_KEY]: journey };
    await request.saveSession();
  }

  async function serviceOf(journey: JourneyState): Promise<Service | undefined> {
    return journey.serviceCode ? services.get(journey.serviceCode) : undefined;
  }

  async function nearbyFor(journey: JourneyState) {
    if (journey.lat === undefined || journey.lon === undefined || !journey.serviceCode) return [];
    return reports.nearbyOpen(
      { lat: journey.lat, lon: journey.lon },
      app.config.CIVICDESK_DUPLICATE_RADIUS_METRES,
      { serviceCode: journey.serviceCode, limit: 5 },
    );
  }

  /** Sends the resident to the first step still missing, if the page they asked for is too far ahead. */
  async function guard(
    step: Step,
    journey: JourneyState,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const service = await serviceOf(journey);
    const questions =
      service?.definition.questions.filter((q) => q.datatype !== 'notice' && !q.automated) ?? [];
    const missing = firstIncompleteStep(journey, {
      hasQuestions: questions.length > 0,
      questionsAnswered: questions.every((q) => !q.required || journey.answers[q.code] !== undefined),
      hasNearby: step === 'where' || step === 'what' ? false : (await nearbyFor(journey)).length > 0,
    });
    const order: Step[] = ['where', 'what', 'nearby', 'questions', 'details', 'about-you', 'check'];
    if (order.indexOf(missing) < order.indexOf(step)) return reply.redirect(STEP_PATHS[missing], 303);
    return undefined;
  }

  function page(reply: FastifyReply, template: string, context: Record<string, unknown>, status = 200) {
    reply.status(status);
    return reply.view(`reports/views/journey/${template}`, context);
  }

  // ------------------------------------------------------------------ start
  app.get(
    '/report',
    { schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }) } },
    async (request, reply) => {
      const { q } = request.query as { q?: string };
      const all = await services.list();
      const term = q?.trim().toLowerCase();
      const matching = term
        ? all.filter((s) =>
            [s.name, s.group, s.description, ...s.keywords].some((text) => text.toLowerCase().includes(term)),
          )
        : all;
      const groups = new Map<string, Service[]>();
      for (const service of matching)
        groups.set(service.group || 'Other', [...(groups.get(service.group || 'Other') ?? []), service]);
      await request.ensureSession();
      return reply.view('reports/views/journey/start.njk', {
        q: q ?? '',
        groups: [...groups].map(([name, list]) => ({ name, services: list })),
        searched: Boolean(term),
      });
    },
  );

  app.get(
    '/report/start',
    { schema: { querystring: Type.Object({ service: Type.Optional(Type.String({ maxLength: 63 })) }) } },
    async (request, reply) => {
      const { service } = request.query as { service?: string };
      const chosen = service ? await services.get(service) : undefined;
      await save(request, newJourney(chosen?.active ? chosen.code : undefined));
      return reply.redirect(STEP_PATHS.where, 303);
    },
  );

  // ------------------------------------------------------------------ where
  async function wherePage(
    request: FastifyRequest,
    reply: FastifyReply,
    journey: JourneyState,
    extra: { q?: string; errors?: FormErrors; expired?: boolean; status?: number } = {},
  ) {
    const q = extra.q ?? '';
    const results = q.trim().length >= 2 ? await gazetteer.search(q, { limit: 10 }) : [];
    const errors = extra.errors ?? new FormErrors();
    if (q && q.trim().length < 2)
      errors.add('q', 'Enter at least 2 characters of a postcode, street or place');
    else if (q && results.length === 0) {
      errors.add(
        'q',
        `No places match ‘${q.trim()}’. Check the spelling, or try a postcode or a street name`,
      );
    }
    const service = await serviceOf(journey);
    return page(
      reply,
      'where.njk',
      {
        q,
        service,
        results: results.map((r) => ({ value: r.id, text: r.label, hint: { text: r.detail } })),
        point:
          journey.lat !== undefined
            ? { lat: journey.lat, lon: journey.lon, label: journey.placeLabel }
            : undefined,
        // The map opens over the council's area until a place is chosen.
        bounds: (await app.domain.areaIndex.get()).coverage?.join(',') ?? '',
        expired: extra.expired,
        ...errors.view(),
      },
      extra.status ?? (errors.any ? 400 : 200),
    );
  }

  app.get(
    '/report/where',
    { schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }) } },
    async (request, reply) => {
      const journey = await load(request);
      if (!readJourney((await request.ensureSession()).data)) await save(request, journey);
      return wherePage(request, reply, journey, { q: (request.query as { q?: string }).q ?? '' });
    },
  );

  app.post('/report/where', journeyPost, async (request, reply) => {
    const body = request.body as Body;
    const journey = await load(request);
    const errors = new FormErrors();
    if (request.sessionExpired)
      return wherePage(request, reply, journey, { q: asText(body.q), expired: true, status: 200 });

    let point: { lat: number; lon: number; label: string } | undefined;
    const place = asText(body.place);
    const lat = Number(asText(body.lat));
    const lon = Number(asText(body.lon));
    if (place) {
      const found = await gazetteer.find(place);
      if (found) point = { lat: found.lat, lon: found.lon, label: found.label };
    } else if (asText(body.lat) && asText(body.lon) && Number.isFinite(lat) && Number.isFinite(lon)) {
      point = { lat, lon, label: (await gazetteer.describePoint(lon, lat)) ?? 'The place marked on the map' };
    }
    if (!point) {
      errors.add(
        asText(body.q) ? 'place' : 'q',
        asText(body.q) ? 'Select the place from the list' : 'Enter a postcode, street or place',
      );
      return wherePage(request, reply, journey, { q: asText(body.q), errors });
    }
    const here = await routing.servicesAt(point.lon, point.lat);
    if (here.services.length === 0) {
      const contact = await routing.outsideAreaContact();
      errors.add(place ? 'place' : 'q', contact.message);
      return wherePage(request, reply, journey, { q: asText(body.q), errors });
    }
    const moved = journey.lat !== point.lat || journey.lon !== point.lon;
    Object.assign(journey, { lat: point.lat, lon: point.lon, placeLabel: point.label });
    if (moved) journey.nearbyChecked = false;
    // A service chosen at the start that is not offered here is asked for again.
    if (journey.serviceCode && !here.services.some((s) => s.code === journey.serviceCode))
      delete journey.serviceCode;
    await save(request, journey);
    return reply.redirect(
      journey.serviceCode && !journey.reachedCheck ? STEP_PATHS.nearby : nextAfter('where', journey),
      303,
    );
  });

  // ------------------------------------------------------------------ what
  async function whatPage(
    reply: FastifyReply,
    journey: JourneyState,
    errors = new FormErrors(),
    expired = false,
  ) {
    const here = await routing.servicesAt(journey.lon!, journey.lat!);
    const groups = new Map<
      string,
      { value: string; text: string; hint?: { text: string }; checked: boolean }[]
    >();
    for (const s of here.services) {
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
    return page(
      reply,
      'what.njk',
      { items, placeLabel: journey.placeLabel, expired, ...errors.view() },
      errors.any ? 400 : 200,
    );
  }

  app.get('/report/what', async (request, reply) => {
    const journey = await load(request);
    return (await guard('what', journey, reply)) ?? whatPage(reply, journey);
  });

  app.post('/report/what', journeyPost, async (request, reply) => {
    const journey = await load(request);
    if (request.sessionExpired)
      return (await guard('what', journey, reply)) ?? whatPage(reply, journey, undefined, true);
    const code = asText((request.body as Body).service);
    const here = await routing.servicesAt(journey.lon!, journey.lat!);
    if (!here.services.some((s) => s.code === code)) {
      const errors = new FormErrors();
      errors.add('service', 'Select what you want to report');
      return whatPage(reply, journey, errors);
    }
    if (journey.serviceCode !== code) {
      journey.answers = {};
      journey.nearbyChecked = false;
      journey.reachedCheck = false;
    }
    journey.serviceCode = code;
    await save(request, journey);
    return reply.redirect(journey.reachedCheck ? STEP_PATHS.check : STEP_PATHS.nearby, 303);
  });

  // ------------------------------------------------------------------ already reported?
  app.get('/report/nearby', async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('nearby', journey, reply);
    if (redirect) return redirect;
    const nearby = await nearbyFor(journey);
    if (nearby.length === 0) {
      // Checked and clear: a report made nearby later does not send this resident back here.
      journey.nearbyChecked = true;
      await save(request, journey);
      return reply.redirect(nextAfter('nearby', journey), 303);
    }
    return page(reply, 'nearby.njk', { nearby, service: await serviceOf(journey) });
  });

  app.post('/report/nearby', journeyPost, async (request, reply) => {
    const journey = await load(request);
    if (request.sessionExpired) return reply.redirect(STEP_PATHS.nearby, 303);
    const action = asText((request.body as Body).action);
    if (action.startsWith('follow:')) {
      return reply.redirect(`/report/follow/${encodeURIComponent(action.slice('follow:'.length))}`, 303);
    }
    journey.nearbyChecked = true;
    await save(request, journey);
    return reply.redirect(nextAfter('nearby', journey), 303);
  });

  const followParams = { schema: { params: Type.Object({ reference: Type.String({ maxLength: 20 }) }) } };

  app.get('/report/follow/:reference', followParams, async (request, reply) => {
    // Only open public reports can be followed.
    const view = await reports.publicView((request.params as { reference: string }).reference);
    if (!view || !view.isOpen) throw new AppError('not_found');
    await request.ensureSession();
    const journey = await load(request);
    return page(reply, 'follow.njk', {
      reference: view.reference,
      serviceName: view.serviceName,
      values: { name: journey.reporter.name, email: journey.reporter.email },
    });
  });

  app.post('/report/follow/:reference', { ...followParams, ...journeyPost }, async (request, reply) => {
    const reference = (request.params as { reference: string }).reference;
    const body = request.body as Body;
    const values = { name: asText(body.name), email: asText(body.email) };
    const errors = new FormErrors();
    if (!values.email) errors.add('email', 'Enter your email address, so we can send you updates');
    else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) {
      errors.add('email', 'Enter an email address in the correct format, like name@example.com');
    }
    if (errors.any || request.sessionExpired) {
      return page(
        reply,
        'follow.njk',
        { reference, values, expired: request.sessionExpired, ...errors.view() },
        errors.any ? 400 : 200,
      );
    }
    const result = await reports.follow(
      reference,
      { ...values, wantsUpdates: true },
      app.jobs,
      app.config.baseUrl,
    );
    return page(reply, 'following.njk', { reference: result.reference, already: !result.followed });
  });

  // ------------------------------------------------------------------ questions
  async function questionsPage(
    reply: FastifyReply,
    journey: JourneyState,
    service: Service,
    answers: Record<string, unknown>,
    errors = new FormErrors(),
    expired = false,
  ) {
    const asked = service.definition.questions.filter((q) => !q.automated);
    return page(
      reply,
      'questions.njk',
      { service, questions: questionItems(asked, answers, errors), expired, ...errors.view() },
      errors.any ? 400 : 200,
    );
  }

  app.get('/report/questions', async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('questions', journey, reply);
    if (redirect) return redirect;
    const service = (await serviceOf(journey))!;
    if (!service.definition.questions.some((q) => q.datatype !== 'notice' && !q.automated)) {
      return reply.redirect(nextAfter('questions', journey), 303);
    }
    return questionsPage(reply, journey, service, journey.answers);
  });

  app.post('/report/questions', journeyPost, async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('questions', journey, reply);
    if (redirect) return redirect;
    const service = (await serviceOf(journey))!;
    const body = request.body as Body;
    const raw = answersFromForm(service.definition, body);
    if (request.sessionExpired) return questionsPage(reply, journey, service, raw, undefined, true);
    const stop = stopFor(service.definition, raw as Record<string, string | string[]>);
    if (stop) return page(reply, 'stop.njk', { service, message: stop });
    const { answers, problems } = checkAnswers(service.definition, raw);
    if (problems.length) {
      const errors = new FormErrors();
      for (const p of problems) errors.add(questionFieldId(p.question), p.message);
      return questionsPage(reply, journey, service, raw, errors);
    }
    journey.answers = answers;
    await save(request, journey);
    return reply.redirect(nextAfter('questions', journey), 303);
  });

  // ------------------------------------------------------------------ details
  async function detailsPage(
    reply: FastifyReply,
    journey: JourneyState,
    values: { description?: string; locationDetail?: string },
    errors = new FormErrors(),
    expired = false,
  ) {
    const service = (await serviceOf(journey))!;
    return page(
      reply,
      'details.njk',
      {
        service,
        descriptionRequired: !hasAskedQuestions(service),
        values,
        placeLabel: journey.placeLabel,
        expired,
        ...errors.view(),
      },
      errors.any ? 400 : 200,
    );
  }

  app.get('/report/details', async (request, reply) => {
    const journey = await load(request);
    return (
      (await guard('details', journey, reply)) ??
      detailsPage(reply, journey, {
        description: journey.description ?? '',
        locationDetail: journey.locationDetail ?? '',
      })
    );
  });

  app.post('/report/details', journeyPost, async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('details', journey, reply);
    if (redirect) return redirect;
    const body = request.body as Body;
    const values = { description: asText(body.description), locationDetail: asText(body.locationDetail) };
    if (request.sessionExpired) return detailsPage(reply, journey, values, undefined, true);
    const service = (await serviceOf(journey))!;
    const errors = new FormErrors();
    if (!values.description && !hasAskedQuestions(service)) {
      errors.add('description', 'Enter a description of the problem');
    }
    if (values.description.length > 5000)
      errors.add('description', 'Description must be 5,000 characters or fewer');
    if (values.locationDetail.length > 1000) {
      errors.add('locationDetail', 'The exact spot must be 1,000 characters or fewer');
    }
    if (errors.any) return detailsPage(reply, journey, values, errors);
    Object.assign(journey, values);
    await save(request, journey);
    return reply.redirect(photoLimit(service) > 0 ? STEP_PATHS.photos : nextAfter('details', journey), 303);
  });

  // ------------------------------------------------------------------ photos
  async function photosPage(reply: FastifyReply, journey: JourneyState, errors = new FormErrors()) {
    const service = (await serviceOf(journey))!;
    const uploaded = await app.photos.listForOwner(ownerKeyOf(journey));
    const session = await reply.request.ensureSession();
    const photos = uploaded.filter((p) => journey.photoIds.includes(p.id));
    return page(
      reply,
      'photos.njk',
      {
        service,
        photos,
        photoLimit: photoLimit(service),
        maxSize: formatFileSize(app.photos.limits.maxBytes),
        required: service.definition.photos.required,
        // The upload form is multipart, read by the handler, so its CSRF token also travels in the address.
        uploadAction: `${STEP_PATHS.photos}?_csrf=${encodeURIComponent(session.csrfToken)}`,
        ...errors.view(),
      },
      errors.any ? 400 : 200,
    );
  }

  app.get('/report/photos', async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('details', journey, reply);
    if (redirect) return redirect;
    if (journey.description === undefined) return reply.redirect(STEP_PATHS.details, 303);
    const service = (await serviceOf(journey))!;
    if (photoLimit(service) === 0) return reply.redirect(nextAfter('details', journey), 303);
    return photosPage(reply, journey);
  });

  // Uploads are the heaviest request a resident can make: each photo is decoded and re-encoded.
  app.post(
    '/report/photos',
    {
      config: { ...journeyPost.config, csrfInQuery: true, rateLimit: { max: 20, timeWindow: '10 minutes' } },
    },
    async (request, reply) => {
      const journey = await load(request);
      const redirect = await guard('details', journey, reply);
      if (redirect) return redirect;
      const service = (await serviceOf(journey))!;
      const errors = new FormErrors();
      if (request.sessionExpired) return photosPage(reply, journey);
      if (!request.isMultipart()) {
        // "Continue": photos are done.
        if (service.definition.photos.required && journey.photoIds.length === 0) {
          errors.add('photo', 'Add a photo of the problem');
          return photosPage(reply, journey, errors);
        }
        return reply.redirect(nextAfter('details', journey), 303);
      }
      try {
        const form = await readMultipartForm(request, {
          maxFileBytes: app.photos.limits.maxBytes,
          maxFiles: 1,
        });
        const file = form.files.find((f) => f.field === 'photo' && f.bytes.length > 0);
        if (!file) errors.add('photo', 'Select a photo');
        else if (journey.photoIds.length >= photoLimit(service)) {
          errors.add('photo', `You can add up to ${photoLimit(service)} photos`);
        } else {
          const photo = await app.photos.upload(file.bytes, ownerKeyOf(journey), {
            maxPhotos: photoLimit(service),
          });
          journey.photoIds = [...journey.photoIds, photo.id];
          await save(request, journey);
        }
      } catch (error) {
        // A bad photo gets a message and nothing is stored; anything else is a real failure.
        if (!(error instanceof AppError) || error.status >= 500 || error.code === 'csrf_failed') throw error;
        errors.add('photo', error.message);
      }
      if (errors.any) return photosPage(reply, journey, errors);
      return reply.redirect(STEP_PATHS.photos, 303);
    },
  );

  app.post(
    '/report/photos/:id/remove',
    { ...journeyPost, schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }) } },
    async (request, reply) => {
      const journey = await load(request);
      const { id } = request.params as { id: string };
      if (!request.sessionExpired && journey.photoIds.includes(id)) {
        await app.photos.remove(id, ownerKeyOf(journey));
        journey.photoIds = journey.photoIds.filter((p) => p !== id);
        await save(request, journey);
      }
      return reply.redirect(STEP_PATHS.photos, 303);
    },
  );

  // ------------------------------------------------------------------ about you
  type AboutYou = JourneyState['reporter'];

  async function aboutYouPage(
    reply: FastifyReply,
    journey: JourneyState,
    values: AboutYou,
    errors = new FormErrors(),
    expired = false,
  ) {
    const service = (await serviceOf(journey))!;
    return page(
      reply,
      'about-you.njk',
      { service, anonymousAllowed: service.definition.anonymousAllowed, values, expired, ...errors.view() },
      errors.any ? 400 : 200,
    );
  }

  app.get('/report/about-you', async (request, reply) => {
    const journey = await load(request);
    return (await guard('about-you', journey, reply)) ?? aboutYouPage(reply, journey, journey.reporter);
  });

  app.post('/report/about-you', journeyPost, async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('about-you', journey, reply);
    if (redirect) return redirect;
    const body = request.body as Body;
    const flags = asList(body.flags);
    const values: AboutYou = {
      name: asText(body.name),
      email: asText(body.email),
      phone: asText(body.phone),
      wantsUpdates: flags.includes('updates'),
      showNamePublicly: flags.includes('showName'),
    };
    if (request.sessionExpired) return aboutYouPage(reply, journey, values, undefined, true);
    const service = (await serviceOf(journey))!;
    const errors = new FormErrors();
    for (const p of reporterProblems(service, values)) errors.add(p.field, p.message);
    if (errors.any) return aboutYouPage(reply, journey, values, errors);
    journey.reporter = values;
    await save(request, journey);
    return reply.redirect(nextAfter('about-you', journey), 303);
  });

  // ------------------------------------------------------------------ check and submit
  async function checkPage(
    reply: FastifyReply,
    journey: JourneyState,
    problems: { text: string; href: string }[] = [],
    expired = false,
  ) {
    const service = (await serviceOf(journey))!;
    const change = (path: string, what: string) => ({
      items: [{ href: path, text: 'Change', visuallyHiddenText: what }],
    });
    const answerRows = service.definition.questions
      .filter((q) => q.datatype !== 'notice' && !q.automated)
      .map((q) => {
        const value = journey.answers[q.code];
        const shown = (Array.isArray(value) ? value : value === undefined ? [] : [value])
          .map((v) => q.options?.find((o) => o.key === v)?.name ?? v)
          .join(', ');
        return {
          key: { text: q.text },
          value: { text: shown || 'Not answered' },
          actions: change(STEP_PATHS.questions, q.text),
        };
      });
    const reporter = journey.reporter;
    return page(
      reply,
      'check.njk',
      {
        service,
        reportRows: [
          {
            key: { text: 'Where' },
            value: { text: journey.placeLabel ?? '' },
            actions: change(STEP_PATHS.where, 'where'),
          },
          { key: { text: 'What' }, value: { text: service.name }, actions: change(STEP_PATHS.what, 'what') },
          ...answerRows,
          {
            key: { text: 'Description' },
            value: { text: journey.description || 'None' },
            actions: change(STEP_PATHS.details, 'description'),
          },
          {
            key: { text: 'Exact spot' },
            value: { text: journey.locationDetail || 'Not given' },
            actions: change(STEP_PATHS.details, 'exact spot'),
          },
          ...(photoLimit(service) > 0
            ? [
                {
                  key: { text: 'Photos' },
                  value: { text: journey.photoIds.length ? `${journey.photoIds.length} added` : 'None' },
                  actions: change(STEP_PATHS.photos, 'photos'),
                },
              ]
            : []),
        ],
        youRows: [
          {
            key: { text: 'Name' },
            value: { text: reporter.name || 'Not given' },
            actions: change(STEP_PATHS['about-you'], 'name'),
          },
          {
            key: { text: 'Email' },
            value: { text: reporter.email || 'Not given' },
            actions: change(STEP_PATHS['about-you'], 'email'),
          },
          {
            key: { text: 'Phone' },
            value: { text: reporter.phone || 'Not given' },
            actions: change(STEP_PATHS['about-you'], 'phone'),
          },
          {
            key: { text: 'Receipt and updates by email' },
            value: { text: reporter.wantsUpdates && reporter.email ? 'Yes' : 'No' },
            actions: change(STEP_PATHS['about-you'], 'receipt and updates'),
          },
          {
            key: { text: 'Name shown publicly' },
            value: { text: reporter.showNamePublicly ? 'Yes' : 'No' },
            actions: change(STEP_PATHS['about-you'], 'whether your name is shown'),
          },
        ],
        expired,
        errorSummary: problems,
      },
      problems.length ? 400 : 200,
    );
  }

  app.get('/report/check', async (request, reply) => {
    const journey = await load(request);
    const redirect = await guard('check', journey, reply);
    if (redirect) return redirect;
    journey.reachedCheck = true;
    await save(request, journey);
    return checkPage(reply, journey);
  });

  app.post('/report/check', journeyPost, async (request, reply) => {
    const journey = await load(request);
    if (request.sessionExpired) return reply.redirect(STEP_PATHS.where, 303);
    // Sent already (a second click, or the back button): the same case, never a second one.
    if (journey.submittedReference) {
      return reply.redirect(`/report/confirmation/${journey.submittedReference}`, 303);
    }
    const redirect = await guard('check', journey, reply);
    if (redirect) return redirect;
    try {
      const result = await app.intake.submit({
        serviceCode: journey.serviceCode!,
        lat: journey.lat!,
        lon: journey.lon!,
        ...(journey.description ? { description: journey.description } : {}),
        ...(journey.locationDetail ? { locationDetail: journey.locationDetail } : {}),
        answers: journey.answers,
        reporter: journey.reporter,
        photos: { ids: journey.photoIds, ownerKey: ownerKeyOf(journey) },
        channel: 'web',
        idempotencyKey: `web:${journey.id}`,
      });
      journey.submittedReference = result.case.reference;
      await save(request, journey);
      await rememberTrackedCase(request, result.case.id);
      return reply.redirect(`/report/confirmation/${result.case.reference}`, 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      // Something changed since the pages were filled in (a boundary, a rule, a service): say what, and
      // link each problem to the page that fixes it.
      const problems = (
        error.fieldErrors.length ? error.fieldErrors : [{ field: 'location', message: error.message }]
      ).map((problem) => ({ text: problem.message, href: fieldToStep(problem) }));
      return checkPage(reply, journey, problems);
    }
  });

  app.get(
    '/report/confirmation/:reference',
    { schema: { params: Type.Object({ reference: Type.String({ maxLength: 20 }) }) } },
    async (request, reply) => {
      const reference = (request.params as { reference: string }).reference;
      const session = await request.loadSession();
      const view = await reports.forSession(reference, trackedCases(session?.data));
      if (!view) return reply.redirect(`/track/${encodeURIComponent(reference)}`, 303);
      const journey = readJourney(session?.data);
      return reply.view('reports/views/journey/confirmation.njk', {
        report: viewModel(view),
        emailed: Boolean(
          journey?.submittedReference === reference &&
          journey.reporter.email &&
          journey.reporter.wantsUpdates,
        ),
        email: journey?.reporter.email,
        whatHappensNext: (await services.list({ activeOnly: false })).find((s) => s.name === view.serviceName)
          ?.definition.whatHappensNext,
      });
    },
  );
}

function photoLimit(service: Service): number {
  return service.definition.photos.allowed ? service.definition.photos.max : 0;
}

function hasAskedQuestions(service: Service): boolean {
  return service.definition.questions.some((q) => q.datatype !== 'notice' && !q.automated);
}

/** The check page's error links go to the page that can fix each problem. */
function fieldToStep(problem: FieldError): string {
  if (problem.field === 'location') return STEP_PATHS.where;
  if (problem.field === 'service') return STEP_PATHS.what;
  if (problem.field.startsWith('answers')) return STEP_PATHS.questions;
  if (['description', 'locationDetail', 'photos'].includes(problem.field)) return STEP_PATHS.details;
  return STEP_PATHS['about-you'];
}
