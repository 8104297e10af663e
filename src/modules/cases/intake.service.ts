/**
 * The one intake every front uses: the resident's web journey, the JSON API, the contact centre and
 * (later) Open311. A submission is checked in full (service, place, answers, reporter, photos), routed,
 * and then written in ONE transaction with everything that must not be lost: the case, the contact,
 * the routing decision, the first timeline events, the photos attached, and the case.created event
 * (an outbox job per subscriber: the receipt and the team's notice, the body's delivery, webhooks). So a
 * resident who has seen a reference has a committed case, and a committed case always gets its emails.
 *
 * The same idempotency key always yields the same case: a double click, a back button, or a client
 * retrying after a timeout never makes two.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { formatDateTime } from '../../lib/dates.js';
import { generateReference } from '../../lib/reference.js';
import { looksLikeEmail, type ContactsService } from '../contacts/index.js';
import type { OrganisationsService } from '../organisations/index.js';
import type { RoutingService } from '../routing/index.js';
import { checkAnswers } from '../services/index.js';
import type { Service, ServicesService } from '../services/index.js';
import * as repo from './cases.repository.js';
import type { CaseEvents } from './case-events.js';

export type Channel = 'web' | 'api' | 'phone' | 'email' | 'visit' | 'letter' | 'open311';

export interface ReportSubmission {
  serviceCode: string;
  lat: number;
  lon: number;
  /** The resident's own words for the exact spot ("by the bus stop"). */
  locationDetail?: string;
  description?: string;
  answers?: Record<string, unknown>;
  reporter?: {
    name?: string;
    email?: string;
    phone?: string;
    /** Email me a receipt and updates. */
    wantsUpdates?: boolean;
    /** Show my name on the public report. */
    showNamePublicly?: boolean;
    /**
     * A contact the contact centre has already found or created for the caller: used as it is (its
     * details are not re-matched or overwritten), so a caller is never made twice.
     */
    contactId?: string;
  };
  /** The member of staff taking the report (contact centre): the call is logged against the contact. */
  takenBy?: { staffId: string; bodyId: string };
  channel: Channel;
  /** Same key, same case. Scope it to the caller (journey id, API client). */
  idempotencyKey?: string;
  apiClientId?: string;
  /** Photos uploaded earlier by this owner, to attach to the case. */
  photos?: { ids: string[]; ownerKey: string };
  /** When it was reported (default now): lets the contact centre record a call's time. */
  at?: Date;
}

export interface SubmittedCase {
  id: string;
  reference: string;
  status: string;
  serviceCode: string;
  serviceName: string;
  bodyName: string;
  teamName: string | null;
  contact: { name: string; email: string | null; phone: string | null; website: string | null } | null;
  dueAt: Date | null;
  whatHappensNext: string;
  locationDescription: string;
  createdAt: Date;
}

export interface SubmitResult {
  created: boolean;
  case: SubmittedCase;
  /** The secret for the tracking link; only when the case was created now (it is stored hashed). */
  trackingToken?: string;
}

export interface PhotoAttacher {
  attachToCase(
    trx: Executor,
    ids: string[],
    ownerKey: string,
    caseId: string,
    isPublic: boolean,
  ): Promise<number>;
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function trackingUrl(baseUrl: string, reference: string, token: string): string {
  return `${baseUrl}/track/${reference}?token=${encodeURIComponent(token)}`;
}

export class IntakeService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: Config,
    private readonly deps: {
      services: ServicesService;
      routing: RoutingService;
      organisations: OrganisationsService;
      contacts: ContactsService;
      jobs: Jobs;
      events: CaseEvents;
      describePoint: (lon: number, lat: number) => Promise<string | null>;
      photos?: PhotoAttacher;
    },
  ) {}

  async submit(submission: ReportSubmission): Promise<SubmitResult> {
    if (submission.idempotencyKey) {
      const existing = await repo.findByIdempotencyKey(this.db, submission.idempotencyKey);
      if (existing) return { created: false, case: await this.summarise(existing) };
    }

    const problems: FieldError[] = [];
    const service = await this.deps.services.get(submission.serviceCode);
    if (!service || !service.active) {
      throw new AppError('validation_failed', 'Choose a service', [
        { field: 'service', message: `There is no service “${submission.serviceCode}” to report` },
      ]);
    }
    const at = submission.at ?? new Date();
    if (!(Math.abs(submission.lat) <= 90 && Math.abs(submission.lon) <= 180)) {
      throw new AppError('validation_failed', 'Choose where the problem is', [
        { field: 'location', message: 'The location must be a latitude and longitude on the map' },
      ]);
    }

    const decision = await this.deps.routing.route({
      lat: submission.lat,
      lon: submission.lon,
      serviceCode: service.code,
      answers: (submission.answers ?? {}) as Record<string, string | string[]>,
      at,
    });
    switch (decision.outcome) {
      case 'outside':
        throw new AppError('validation_failed', decision.contact.message, [
          { field: 'location', message: decision.contact.message },
        ]);
      case 'not_offered':
        throw new AppError('validation_failed', `${service.name} cannot be reported at this location`, [
          { field: 'service', message: `${service.name} cannot be reported at this location` },
        ]);
      case 'unknown_service':
        throw new AppError('validation_failed', 'Choose a service');
      case 'stop':
        throw new AppError('validation_failed', decision.message, [
          { field: 'answers', message: decision.message },
        ]);
      case 'routed':
        break;
    }

    const ward = decision.areas.find((a) => a.kind === 'ward');
    const parish = decision.areas.find((a) => a.kind === 'parish');
    const { answers, problems: answerProblems } = checkAnswers(service.definition, submission.answers ?? {}, {
      ...(ward ? { ward_code: ward.code } : {}),
      ...(parish ? { parish_code: parish.code } : {}),
    });
    problems.push(...answerProblems.map((p) => ({ field: `answers.${p.question}`, message: p.message })));

    const description = (submission.description ?? '').trim();
    if (description.length > 5000)
      problems.push({ field: 'description', message: 'Description must be 5,000 characters or fewer' });
    const locationDetail = (submission.locationDetail ?? '').trim();
    if (locationDetail.length > 1000) {
      problems.push({
        field: 'locationDetail',
        message: 'The description of the exact spot must be 1,000 characters or fewer',
      });
    }
    problems.push(...reporterProblems(service, submission.reporter));
    const photoIds = submission.photos?.ids ?? [];
    const photoRules = service.definition.photos;
    if (photoRules.required && photoIds.length === 0)
      problems.push({ field: 'photos', message: 'Add a photo of the problem' });
    if (photoIds.length > (photoRules.allowed ? photoRules.max : 0)) {
      problems.push({
        field: 'photos',
        message: photoRules.allowed
          ? `Add no more than ${photoRules.max} photos`
          : 'This service does not take photos',
      });
    }
    if (problems.length)
      throw new AppError('validation_failed', 'There is a problem with the report', problems);

    const locationDescription =
      (await this.deps.describePoint(submission.lon, submission.lat).catch(() => null)) ?? '';
    const reporter = submission.reporter;
    const email = reporter?.email?.trim() || null;
    const wantsUpdates = Boolean(email) && reporter?.wantsUpdates !== false;
    const trackingToken = crypto.randomBytes(24).toString('base64url');

    // Only the reference can collide (1 in ~10^11 per pair); try again with a new one if it does.
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.db.transaction().execute(async (trx) => {
          const contact = reporter?.contactId
            ? { id: reporter.contactId, created: false }
            : email || reporter?.name || reporter?.phone
              ? await this.deps.contacts.findOrCreate(trx, {
                  name: reporter?.name,
                  email,
                  phone: reporter?.phone,
                })
              : undefined;
          const row = await repo.insertCase(trx, {
            reference: generateReference(this.config.CIVICDESK_REFERENCE_PREFIX),
            service_id: service.id,
            body_id: decision.body.id,
            team_id: decision.team?.id ?? null,
            channel: submission.channel,
            description,
            answers,
            lat: submission.lat,
            lon: submission.lon,
            location_description: locationDescription,
            location_detail: locationDetail,
            areas: decision.areas.map((a) => ({ kind: a.kind, code: a.code, name: a.name })),
            routing: {
              decidedBy: decision.decidedBy,
              trace: decision.trace,
              outOfHours: decision.outOfHours,
              contact: decision.contact,
              timescale: decision.timescale,
            },
            due_at: decision.dueAt,
            reporter_contact_id: contact?.id ?? null,
            reporter_name_public: reporter?.showNamePublicly === true,
            updates_by_email: wantsUpdates,
            is_public: service.isPublic,
            tracking_token_hash: hashToken(trackingToken),
            idempotency_key: submission.idempotencyKey ?? null,
            api_client_id: submission.apiClientId ?? null,
          });
          // Another request with the same key committed first: nothing of ours is written.
          if (!row) return undefined;

          await repo.insertEvent(trx, {
            case_id: row.id,
            kind: 'created',
            is_public: true,
            body: `Reported ${channelWords(submission.channel)}`,
            data: { channel: submission.channel },
            actor: submission.takenBy ? 'staff' : 'resident',
            actor_staff_id: submission.takenBy?.staffId ?? null,
          });
          if (submission.takenBy && contact) {
            await this.deps.contacts.logInteraction(
              submission.takenBy,
              {
                contactId: contact.id,
                caseId: row.id,
                kind:
                  submission.channel === 'visit'
                    ? 'visit'
                    : submission.channel === 'letter'
                      ? 'letter'
                      : 'call',
                direction: 'inbound',
                summary: `Reported ${service.name.toLowerCase()}: ${row.reference}`,
                occurredAt: at,
              },
              trx,
            );
          }
          await repo.insertEvent(trx, {
            case_id: row.id,
            kind: 'routed',
            is_public: true,
            body: `Sent to ${decision.team ? `${decision.body.name}: ${decision.team.name}` : decision.body.name}`,
            data: {
              bodyCode: decision.body.code,
              teamCode: decision.team?.code ?? null,
              decidedBy: decision.decidedBy,
            },
            actor: 'system',
          });
          if (photoIds.length && this.deps.photos && submission.photos) {
            const attached = await this.deps.photos.attachToCase(
              trx,
              photoIds,
              submission.photos.ownerKey,
              row.id,
              service.isPublic,
            );
            if (attached !== new Set(photoIds).size) {
              throw new AppError('validation_failed', 'A photo could not be added', [
                { field: 'photos', message: 'One of the photos is no longer available: add it again' },
              ]);
            }
          }

          const summary = this.summaryFrom(row, service, decision);
          // Subscribers (the resident's receipt and the team's notice, the body's inbox or system,
          // webhooks) hear of it from the same commit.
          await this.deps.events.publish(trx, {
            type: 'case.created',
            caseId: row.id,
            trackingToken,
            by: submission.takenBy ? { kind: 'staff', id: submission.takenBy.staffId } : { kind: 'resident' },
          });
          return { row, summary };
        });
        if (!outcome) {
          const existing = await repo.findByIdempotencyKey(this.db, submission.idempotencyKey!);
          return { created: false, case: await this.summarise(existing!) };
        }
        this.deps.jobs.wake();
        return { created: true, case: outcome.summary, trackingToken };
      } catch (error) {
        const isReferenceClash =
          (error as { code?: string }).code === '23505' && /reference/.test(String((error as Error).message));
        if (!isReferenceClash || attempt >= 3) throw error;
      }
    }
  }

  private summaryFrom(
    row: repo.CaseRow,
    service: Service,
    decision: Extract<Awaited<ReturnType<RoutingService['route']>>, { outcome: 'routed' }>,
  ): SubmittedCase {
    return {
      id: row.id,
      reference: row.reference,
      status: row.status,
      serviceCode: service.code,
      serviceName: service.name,
      bodyName: decision.body.name,
      teamName: decision.team?.name ?? null,
      contact: decision.contact,
      dueAt: row.due_at,
      whatHappensNext: service.definition.whatHappensNext,
      locationDescription: row.location_description,
      createdAt: row.created_at,
    };
  }

  /** The same summary for a case that already exists (an idempotent replay). */
  async summarise(row: repo.CaseRow): Promise<SubmittedCase> {
    const services = await this.deps.services.list({ activeOnly: false });
    const service = services.find((s) => s.id === row.service_id)!;
    const routing = row.routing as { contact?: SubmittedCase['contact'] };
    const [teams, bodies] = await Promise.all([
      this.deps.organisations.teams(),
      this.deps.organisations.bodies(),
    ]);
    return {
      id: row.id,
      reference: row.reference,
      status: row.status,
      serviceCode: service.code,
      serviceName: service.name,
      bodyName: bodies.find((b) => b.id === row.body_id)?.name ?? '',
      teamName: teams.find((t) => t.id === row.team_id)?.name ?? null,
      contact: routing.contact ?? null,
      dueAt: row.due_at,
      whatHappensNext: service.definition.whatHappensNext,
      locationDescription: row.location_description,
      createdAt: row.created_at,
    };
  }
}

/** What is wrong with the reporter's details for this service (name and email unless it allows anonymous reports). */
export function reporterProblems(service: Service, reporter: ReportSubmission['reporter']): FieldError[] {
  const problems: FieldError[] = [];
  // A contact the contact centre found or created has been checked already; a caller may have no email.
  if (reporter?.contactId) return problems;
  const name = reporter?.name?.trim() ?? '';
  const email = reporter?.email?.trim() ?? '';
  const phone = reporter?.phone?.trim() ?? '';
  if (!service.definition.anonymousAllowed) {
    if (!name) problems.push({ field: 'name', message: 'Enter your name' });
    if (!email) problems.push({ field: 'email', message: 'Enter your email address' });
  }
  if (name.length > 200) problems.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
  if (email && !looksLikeEmail(email)) {
    problems.push({
      field: 'email',
      message: 'Enter an email address in the correct format, like name@example.com',
    });
  }
  if (!email && reporter?.wantsUpdates === true && service.definition.anonymousAllowed) {
    problems.push({ field: 'email', message: 'Enter your email address to get a receipt and updates' });
  }
  if (phone && !/^[+()\d\s-]{7,20}$/.test(phone)) {
    problems.push({
      field: 'phone',
      message: 'Enter a telephone number, like 01632 960 001 or +44 7700 900 982',
    });
  }
  return problems;
}

export function channelWords(channel: Channel): string {
  switch (channel) {
    case 'web':
      return 'online';
    case 'api':
      return 'through an app';
    case 'phone':
      return 'by phone';
    case 'email':
      return 'by email';
    case 'visit':
      return 'in person';
    case 'letter':
      return 'by letter';
    case 'open311':
      return 'through Open311';
  }
}

export function describeLocation(description: string, detail: string, lat: number, lon: number): string {
  const parts = [description || `${lat.toFixed(5)}, ${lon.toFixed(5)}`];
  if (detail) parts.push(`(${detail})`);
  return parts.join(' ');
}

export function formatDue(due: Date): string {
  return formatDateTime(due);
}
