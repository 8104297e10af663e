/**
 * The state of one resident's report while they fill it in, kept server-side in their session under one
 * key (so nothing is lost between pages, and nothing is trusted from hidden fields), and the order of
 * the steps. Pure: no Fastify, no database.
 */
import crypto from 'node:crypto';
import type { ReportDraft } from './journey-steps.js';

export interface JourneyState extends ReportDraft {
  /** Makes the submission idempotent: one journey, at most one case. */
  id: string;
  serviceCode?: string;
  lat?: number;
  lon?: number;
  /** How the place was chosen, in words ("M33 7AA", "Bradgate Road, Sale", "Pin on the map"). */
  placeLabel?: string;
  /** The resident decided the nearby reports are not the same problem. */
  nearbyChecked?: boolean;
  answers: Record<string, string | string[]>;
  description?: string;
  locationDetail?: string;
  photoIds: string[];
  reporter: {
    name?: string;
    email?: string;
    phone?: string;
    wantsUpdates?: boolean;
    showNamePublicly?: boolean;
  };
  /** The step pages visited, so "change" links can return to the check page. */
  reachedCheck?: boolean;
  submittedReference?: string;
}

export const JOURNEY_KEY = 'reportJourney';

export function newJourney(serviceCode?: string): JourneyState {
  return {
    id: crypto.randomBytes(16).toString('base64url'),
    ...(serviceCode ? { serviceCode } : {}),
    answers: {},
    photoIds: [],
    reporter: { wantsUpdates: true },
  };
}

export function readJourney(data: Record<string, unknown> | undefined): JourneyState | undefined {
  const value = data?.[JOURNEY_KEY] as JourneyState | undefined;
  return value && typeof value.id === 'string' ? value : undefined;
}

export type Step = 'where' | 'what' | 'nearby' | 'questions' | 'details' | 'photos' | 'about-you' | 'check';

/** The steps in the order a resident meets them (photos, optional, is a page of the details step). */
export const STEP_ORDER: Step[] = ['where', 'what', 'nearby', 'questions', 'details', 'about-you', 'check'];

export const STEP_PATHS: Record<Step, string> = {
  where: '/report/where',
  what: '/report/what',
  nearby: '/report/nearby',
  questions: '/report/questions',
  details: '/report/details',
  photos: '/report/photos',
  'about-you': '/report/about-you',
  check: '/report/check',
};

/** The address of a step of the web journey (the engine names steps as plain strings). */
export function stepPath(step: string): string {
  const paths: Partial<Record<string, string>> = STEP_PATHS;
  const path = paths[step];
  if (!path) throw new Error(`The report journey has no step ${step}`);
  return path;
}

/**
 * The first step the journey still needs, so a resident who jumps ahead (or whose service changed)
 * is sent back to what is missing rather than shown a broken page.
 */
export function firstIncompleteStep(
  journey: JourneyState,
  facts: { hasQuestions: boolean; questionsAnswered: boolean; hasNearby: boolean },
): Step {
  if (journey.lat === undefined || journey.lon === undefined) return 'where';
  if (!journey.serviceCode) return 'what';
  if (facts.hasNearby && !journey.nearbyChecked) return 'nearby';
  if (facts.hasQuestions && !facts.questionsAnswered) return 'questions';
  if (journey.description === undefined) return 'details';
  if (journey.reporter.name === undefined && journey.reporter.email === undefined) return 'about-you';
  return 'check';
}
