/**
 * The resident's report journey, one question per page in the GOV.UK pattern: where is it, what is it,
 * already reported?, the service's questions, details, photos, about you, check your answers,
 * confirmation. The steps are data for the journey engine (src/infra/journey): their rules are in
 * journey-steps.ts (shared with the contact centre's phone report), their pages in journey-web.ts and
 * journey-check.ts. This file is the web channel: the journey kept in the session under one key, its
 * addresses, the guard that sends a resident who jumped ahead back to what is missing, and the pages that
 * are not steps of a form (the service list, photo uploads, following a report, the confirmation).
 * Every page works without JavaScript (the map and type-ahead only enhance the place search). A session
 * that expired mid-form shows the form again with the typed values rather than an error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { mountJourney, type JourneyChannel } from '../../infra/journey/engine.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { formatFileSize, readMultipartForm } from '../photos/index.js';
import type { Service } from '../services/index.js';
import { trackedCases, viewModel } from './index.js';
import { JOURNEY_KEY, newJourney, readJourney, STEP_PATHS, stepPath, type JourneyState } from './journey.js';
import { checkStep, ownerKeyOf } from './journey-check.js';
import { photoLimit } from './journey-steps.js';
import { webJourneyHelpers, webJourneySteps, type WebContext } from './journey-web.js';

/** For the photo routes: the uploader's key, so residents can see their own photos before sending. */
export async function photoOwnerKeyFor(request: FastifyRequest): Promise<string | undefined> {
  const journey = readJourney((await request.loadSession())?.data);
  return journey ? ownerKeyOf(journey) : undefined;
}

const FollowBody = Type.Object(
  {
    _csrf: Type.Optional(Type.String({ maxLength: 200 })),
    name: Type.Optional(Type.String({ maxLength: 500 })),
    email: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export default async function journeyRoutes(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const { services, reports } = app.domain;
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

  const helpers = webJourneyHelpers(instance);
  const { serviceOf, missingBefore } = helpers;

  const channel: JourneyChannel<JourneyState, WebContext> = {
    steps: [...webJourneySteps(instance, helpers), checkStep(instance, serviceOf)],
    route: stepPath,
    shared: journeyPost,
    open: async (request) => ({ ctx: { request }, state: await load(request) }),
    save: (ctx, journey) => save(ctx.request, journey),
    path: (_ctx, step) => stepPath(step),
    missing: (_ctx, journey, step) => missingBefore(journey, step),
    render: (_ctx, reply, page) => reply.status(page.status).view(page.template, page.model),
  };
  mountJourney(app, channel);

  function page(reply: FastifyReply, template: string, context: Record<string, unknown>, status = 200) {
    reply.status(status);
    return reply.view(`reports/views/journey/${template}`, context);
  }

  // ------------------------------------------------------------------ start
  app.get(
    '/report',
    { schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }) } },
    async (request, reply) => {
      const { q } = request.query;
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
      const { service } = request.query;
      const chosen = service ? await services.get(service) : undefined;
      await save(request, newJourney(chosen?.active ? chosen.code : undefined));
      return reply.redirect(STEP_PATHS.where, 303);
    },
  );

  const followParams = { schema: { params: Type.Object({ reference: Type.String({ maxLength: 20 }) }) } };

  app.get('/report/follow/:reference', followParams, async (request, reply) => {
    // Only open public reports can be followed.
    const view = await reports.publicView(request.params.reference);
    if (!view || !view.isOpen) throw new AppError('not_found');
    await request.ensureSession();
    const journey = await load(request);
    return page(reply, 'follow.njk', {
      reference: view.reference,
      serviceName: view.serviceName,
      values: { name: journey.reporter.name, email: journey.reporter.email },
    });
  });

  app.post(
    '/report/follow/:reference',
    { ...journeyPost, schema: { ...followParams.schema, body: FollowBody } },
    async (request, reply) => {
      const reference = request.params.reference;
      const body = request.body;
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
    },
  );

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
    const missing = await missingBefore(journey, 'details');
    if (missing) return reply.redirect(STEP_PATHS[missing], 303);
    if (journey.description === undefined) return reply.redirect(STEP_PATHS.details, 303);
    const service = (await serviceOf(journey))!;
    if (photoLimit(service) === 0) return reply.redirect(afterPhotos(journey), 303);
    return photosPage(reply, journey);
  });

  // Uploads are the heaviest request a resident can make: each photo is decoded and re-encoded.
  app.post(
    '/report/photos',
    {
      config: { ...journeyPost.config, csrfInQuery: true, rateLimit: { max: 20, timeWindow: '10 minutes' } },
      // Multipart (an upload) has no parsed body: readMultipartForm reads it within its own limits.
      schema: { body: buttonForm },
    },
    async (request, reply) => {
      const journey = await load(request);
      const missing = await missingBefore(journey, 'details');
      if (missing) return reply.redirect(STEP_PATHS[missing], 303);
      const service = (await serviceOf(journey))!;
      const errors = new FormErrors();
      if (request.sessionExpired) return photosPage(reply, journey);
      if (!request.isMultipart()) {
        // "Continue": photos are done.
        if (service.definition.photos.required && journey.photoIds.length === 0) {
          errors.add('photo', 'Add a photo of the problem');
          return photosPage(reply, journey, errors);
        }
        return reply.redirect(afterPhotos(journey), 303);
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
    {
      ...journeyPost,
      schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), body: buttonForm },
    },
    async (request, reply) => {
      const journey = await load(request);
      const { id } = request.params;
      if (!request.sessionExpired && journey.photoIds.includes(id)) {
        await app.photos.remove(id, ownerKeyOf(journey));
        journey.photoIds = journey.photoIds.filter((p) => p !== id);
        await save(request, journey);
      }
      return reply.redirect(STEP_PATHS.photos, 303);
    },
  );

  app.get(
    '/report/confirmation/:reference',
    { schema: { params: Type.Object({ reference: Type.String({ maxLength: 20 }) }) } },
    async (request, reply) => {
      const reference = request.params.reference;
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

/** After the photos page: about you, or back to the check page once the resident has been there. */
function afterPhotos(journey: JourneyState): string {
  return STEP_PATHS[journey.reachedCheck ? 'check' : 'about-you'];
}
