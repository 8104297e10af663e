/**
 * The web journey's last step: check your answers, then send. Sending goes through the case core's
 * intake with the journey's id as the idempotency key, so a second click (or the back button) finds the
 * same case rather than making another. If something changed since the pages were filled in (a boundary,
 * a rule, a service), the check page says what, each problem linking to the page that fixes it.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { defineStep, type StepPage } from '../../infra/journey/engine.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import type { Service } from '../services/index.js';
import { rememberTrackedCase } from './index.js';
import { STEP_PATHS, type JourneyState } from './journey.js';
import { askedQuestions, photoLimit } from './journey-steps.js';
import type { WebContext, WebStep } from './journey-web.js';

/** Photos uploaded during a journey belong to it until the report is sent. */
export function ownerKeyOf(journey: JourneyState): string {
  return `web:${journey.id}`;
}

const CheckBody = Type.Object(
  { _csrf: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);

export function checkStep(
  app: FastifyInstance,
  serviceOf: (journey: JourneyState) => Promise<Service | undefined>,
): WebStep {
  const checkPage = async (journey: JourneyState, problems: { text: string; href: string }[] = []) =>
    checkAnswersPage((await serviceOf(journey))!, journey, problems);

  return defineStep({
    name: 'check',
    body: CheckBody,
    initial: () => ({}),
    typed: () => ({}),
    // A session that ran out has lost the answers: start again.
    restartWhenExpired: 'where',
    opened(journey: JourneyState) {
      journey.reachedCheck = true;
      return true;
    },
    page: (_ctx: WebContext, journey) => checkPage(journey),
    async apply(ctx, journey) {
      // Sent already (a second click, or the back button): the same case, never a second one.
      if (journey.submittedReference)
        return { outcome: 'leave', to: `/report/confirmation/${journey.submittedReference}` };
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
        await rememberTrackedCase(ctx.request, result.case.id);
        return { outcome: 'leave', to: `/report/confirmation/${result.case.reference}` };
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
        const problems = (
          error.fieldErrors.length ? error.fieldErrors : [{ field: 'location', message: error.message }]
        ).map((problem) => ({ text: problem.message, href: fieldToStep(problem) }));
        return { outcome: 'show', page: await checkPage(journey, problems) };
      }
    },
    next: () => 'check',
  });
}

/** The check page: every answer with a "Change" link to the page that asks it. */
function checkAnswersPage(
  service: Service,
  journey: JourneyState,
  problems: { text: string; href: string }[],
): StepPage {
  const change = (path: string, what: string) => ({
    items: [{ href: path, text: 'Change', visuallyHiddenText: what }],
  });
  const row = (key: string, text: string, path: string, what: string) => ({
    key: { text: key },
    value: { text },
    actions: change(path, what),
  });
  const answerRows = askedQuestions(service).map((q) => {
    const value = journey.answers[q.code];
    const shown = (Array.isArray(value) ? value : value === undefined ? [] : [value])
      .map((v) => q.options?.find((o) => o.key === v)?.name ?? v)
      .join(', ');
    return row(q.text, shown || 'Not answered', STEP_PATHS.questions, q.text);
  });
  const reporter = journey.reporter;
  const aboutYou = STEP_PATHS['about-you'];
  const photos = journey.photoIds.length ? `${journey.photoIds.length} added` : 'None';
  return {
    template: 'reports/views/journey/check.njk',
    model: {
      service,
      reportRows: [
        row('Where', journey.placeLabel ?? '', STEP_PATHS.where, 'where'),
        row('What', service.name, STEP_PATHS.what, 'what'),
        ...answerRows,
        row('Description', journey.description || 'None', STEP_PATHS.details, 'description'),
        row('Exact spot', journey.locationDetail || 'Not given', STEP_PATHS.details, 'exact spot'),
        ...(photoLimit(service) > 0 ? [row('Photos', photos, STEP_PATHS.photos, 'photos')] : []),
      ],
      youRows: [
        row('Name', reporter.name || 'Not given', aboutYou, 'name'),
        row('Email', reporter.email || 'Not given', aboutYou, 'email'),
        row('Phone', reporter.phone || 'Not given', aboutYou, 'phone'),
        row(
          'Receipt and updates by email',
          reporter.wantsUpdates && reporter.email ? 'Yes' : 'No',
          aboutYou,
          'receipt and updates',
        ),
        row(
          'Name shown publicly',
          reporter.showNamePublicly ? 'Yes' : 'No',
          aboutYou,
          'whether your name is shown',
        ),
      ],
      expired: false,
      errorSummary: problems,
    },
    status: problems.length ? 400 : 200,
  };
}

/** The check page's error links go to the page that can fix each problem. */
function fieldToStep(problem: FieldError): string {
  if (problem.field === 'location') return STEP_PATHS.where;
  if (problem.field === 'service') return STEP_PATHS.what;
  if (problem.field.startsWith('answers')) return STEP_PATHS.questions;
  if (['description', 'locationDetail', 'photos'].includes(problem.field)) return STEP_PATHS.details;
  return STEP_PATHS['about-you'];
}
