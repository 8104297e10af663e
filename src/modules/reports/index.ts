/**
 * Residents' pages about reports that exist: tracking one's own report (with the link from the
 * receipt email), the public page of a public report, and following a report instead of filing a
 * duplicate. The report journey itself is in journey.routes.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { typed } from '../../infra/typed-routes.js';
import { AppError } from '../../lib/errors.js';
import { normaliseReference } from '../../lib/reference.js';
import type { ReportView } from '../cases/index.js';

// The report journey's steps, for every channel that takes reports (the contact centre's phone report).
export {
  CallerReportBody,
  choosePlace,
  chooseService,
  PlaceBody,
  readAnswers,
  searchPlaces,
  ServiceBody,
  servicesHere,
  ticked,
  type PlaceLookups,
  type ReportDraft,
} from './journey-steps.js';

const TRACKED = 'trackedCases';

export function trackedCases(data: Record<string, unknown> | undefined): string[] {
  const value = data?.[TRACKED];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Remembers in the session that this visitor may see this case (they made it, or opened its link). */
export async function rememberTrackedCase(request: FastifyRequest, caseId: string): Promise<void> {
  const session = await request.ensureSession();
  const cases = trackedCases(session.data);
  if (!cases.includes(caseId)) {
    session.data = { ...session.data, [TRACKED]: [...cases.slice(-19), caseId] };
    await request.saveSession();
  }
}

export function viewModel(view: ReportView) {
  return {
    ...view,
    timeline: [...view.timeline].reverse(),
    mapLink: `https://www.openstreetmap.org/?mlat=${view.lat}&mlon=${view.lon}#map=18/${view.lat}/${view.lon}`,
  };
}

export default async function reportsModule(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const { reports } = app.domain;

  app.get(
    '/track',
    { schema: { querystring: Type.Object({ reference: Type.Optional(Type.String({ maxLength: 40 })) }) } },
    async (request, reply) => {
      const { reference } = request.query;
      if (reference !== undefined) {
        const normalised = normaliseReference(reference);
        if (!reference.trim()) {
          return reply.status(400).view('reports/views/track-start.njk', {
            errorSummary: [{ text: 'Enter your reference', href: '#reference' }],
            errors: { reference: { text: 'Enter your reference' } },
          });
        }
        return reply.redirect(`/track/${encodeURIComponent(normalised)}`, 303);
      }
      return reply.view('reports/views/track-start.njk', {});
    },
  );

  app.get(
    '/track/:reference',
    {
      schema: {
        params: Type.Object({ reference: Type.String({ maxLength: 40 }) }),
        querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 100 })) }),
      },
    },
    async (request, reply) => {
      const reference = normaliseReference(request.params.reference);
      const { token } = request.query;
      let view: ReportView | undefined;
      if (token) {
        view = await reports.forTracking(reference, token);
        if (view) {
          await reports.confirmReporterEmail(view.id);
          await rememberTrackedCase(request, view.id);
          // Drop the secret from the address bar (and so from history and Referer headers).
          return reply.redirect(`/track/${reference}`, 303);
        }
      } else {
        const session = await request.loadSession();
        view = await reports.forSession(reference, trackedCases(session?.data));
      }
      if (!view) {
        await request.ensureSession(); // the "email me a new link" form
        const publicView = await reports.publicView(reference);
        reply.status(token ? 404 : 200);
        return reply.view('reports/views/track-locked.njk', {
          reference,
          badToken: Boolean(token),
          publicUrl: publicView ? `/reports/${reference}` : undefined,
        });
      }
      reply.header('cache-control', 'private, no-store');
      return reply.view('reports/views/track.njk', { report: viewModel(view) });
    },
  );

  app.post(
    '/track/:reference/new-link',
    {
      config: { rateLimit: { max: 5, timeWindow: '10 minutes' } },
      schema: {
        params: Type.Object({ reference: Type.String({ maxLength: 40 }) }),
        body: Type.Object({
          _csrf: Type.Optional(Type.String({ maxLength: 200 })),
          email: Type.Optional(Type.String({ maxLength: 254 })),
        }),
      },
    },
    async (request, reply) => {
      const reference = normaliseReference(request.params.reference);
      const email = (request.body.email ?? '').trim();
      if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        const message = email
          ? 'Enter an email address in the correct format, like name@example.com'
          : 'Enter the email address you gave when you reported it';
        reply.status(400);
        return reply.view('reports/views/track-locked.njk', {
          reference,
          values: { email },
          errorSummary: [{ text: message, href: '#email' }],
          errors: { email: { text: message } },
        });
      }
      await reports.sendNewTrackingLink(reference, email, app.jobs, app.config.baseUrl);
      // The same answer whether or not the address matched: the form must not reveal who reported what.
      return reply.view('reports/views/track-link-sent.njk', { reference });
    },
  );

  app.get(
    '/reports/:reference',
    { schema: { params: Type.Object({ reference: Type.String({ maxLength: 40 }) }) } },
    async (request, reply) => {
      const reference = normaliseReference(request.params.reference);
      const view = await reports.publicView(reference);
      if (!view) throw new AppError('not_found', 'There is no public report with that reference');
      return reply.view('reports/views/public-report.njk', { report: viewModel(view) });
    },
  );
}
