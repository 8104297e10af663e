/**
 * Reading reports as residents see them: nearby open reports (to follow instead of filing a duplicate),
 * pins for the map, the tracking page (with the secret from the receipt email), and the public,
 * anonymised view of public reports. No personal data leaves this service except to the reporter.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import { textToHtml } from '../../lib/email-template.js';
import { boxAround, distanceMetres } from '../gazetteer/index.js';
import type { ContactsService } from '../contacts/index.js';
import type { OrganisationsService } from '../organisations/index.js';
import type { ServicesService } from '../services/index.js';
import { hashToken, trackingUrl } from './intake.service.js';
import * as repo from './cases.repository.js';
import { STATUS_LABELS } from '../../lib/case-status.js';

export interface NearbyReport {
  id: string;
  reference: string;
  serviceCode: string;
  serviceName: string;
  status: CaseStatus;
  statusLabel: string;
  lat: number;
  lon: number;
  locationDescription: string;
  /** The report's description, for public reports only. */
  description: string | null;
  reportedAt: Date;
  followers: number;
  distanceMetres: number;
}

export interface TimelineEntry {
  kind: string;
  text: string;
  at: Date;
  /** A public report this entry names (the original of a duplicate, or a duplicate joined to this one). */
  link?: { href: string; text: string };
}

export interface ReportView {
  id: string;
  reference: string;
  serviceName: string;
  status: CaseStatus;
  statusLabel: string;
  isOpen: boolean;
  outcome: string | null;
  handledBy: string;
  dueAt: Date | null;
  overdue: boolean;
  reportedAt: Date;
  closedAt: Date | null;
  lat: number;
  lon: number;
  locationDescription: string;
  locationDetail: string;
  description: string;
  answers: { question: string; answer: string }[];
  timeline: TimelineEntry[];
  /** Only on the reporter's own view, or when they chose to show it publicly. */
  reporterName: string | null;
  isPublic: boolean;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

/** A caller the contact centre has found: followed as that contact, with the call logged. */
export interface KnownFollower {
  contactId: string;
  /** The contact's address, if they have one and want updates by email. */
  email: string | null;
  wantsUpdates: boolean;
  takenBy: { staffId: string; bodyId: string };
}

export class ReportsService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: {
      services: ServicesService;
      organisations: OrganisationsService;
      contacts: ContactsService;
    },
  ) {}

  /** Open reports within `metres`, nearest first; of one service, or any. Public ones only unless asked. */
  async nearbyOpen(
    centre: { lat: number; lon: number },
    metres: number,
    options: { serviceCode?: string; includePrivate?: boolean; limit?: number } = {},
  ): Promise<NearbyReport[]> {
    if (metres <= 0) return [];
    const service = options.serviceCode ? await this.deps.services.get(options.serviceCode) : undefined;
    if (options.serviceCode && !service) return [];
    const rows = await repo.openCasesInBox(this.db, boxAround(centre.lon, centre.lat, metres), {
      ...(service ? { serviceId: service.id } : {}),
      publicOnly: !options.includePrivate,
      limit: 200,
    });
    return rows
      .map((row) => ({
        id: row.id,
        reference: row.reference,
        serviceCode: row.service_code,
        serviceName: row.service_name,
        status: row.status,
        statusLabel: STATUS_LABELS[row.status],
        lat: row.lat,
        lon: row.lon,
        locationDescription: row.location_description,
        description: row.is_public ? row.description : null,
        reportedAt: row.created_at,
        followers: Number(row.followers),
        distanceMetres: Math.round(distanceMetres(centre.lon, centre.lat, row.lon, row.lat)),
      }))
      .filter((r) => r.distanceMetres <= metres)
      .sort((a, b) => a.distanceMetres - b.distanceMetres)
      .slice(0, options.limit ?? 10);
  }

  /** Public open reports in a box, for map pins (capped: the map asks again when it moves). */
  async publicInBox(box: { minLat: number; maxLat: number; minLon: number; maxLon: number }, limit = 200) {
    const rows = await repo.openCasesInBox(this.db, box, { publicOnly: true, limit });
    return rows.map((row) => ({
      reference: row.reference,
      serviceName: row.service_name,
      status: STATUS_LABELS[row.status],
      lat: row.lat,
      lon: row.lon,
      url: `/reports/${row.reference}`,
    }));
  }

  async byReference(reference: string) {
    return repo.findByReference(this.db, reference);
  }

  /** The reporter's view, if the token from their email matches. */
  async forTracking(reference: string, token: string): Promise<ReportView | undefined> {
    const row = await repo.findByReference(this.db, reference);
    if (!row || !token || !sameSecret(hashToken(token), row.tracking_token_hash)) return undefined;
    return this.view(row, { forReporter: true });
  }

  /** The reporter's view for a session that just made (or was shown) this case. */
  async forSession(reference: string, caseIds: readonly string[]): Promise<ReportView | undefined> {
    const row = await repo.findByReference(this.db, reference);
    if (!row || !caseIds.includes(row.id)) return undefined;
    return this.view(row, { forReporter: true });
  }

  /** The anonymised public view; undefined for reports that are not public. */
  async publicView(reference: string): Promise<ReportView | undefined> {
    const row = await repo.findByReference(this.db, reference);
    if (!row || !row.is_public) return undefined;
    return this.view(row, { forReporter: false });
  }

  /**
   * A resident who lost the receipt asks for a new tracking link by giving their email address. If it is
   * the reporter's, a new token replaces the old one (so any copy of the old link stops working) and is
   * emailed there; otherwise nothing happens. The caller says the same thing either way, so the form
   * cannot be used to find out who reported what.
   */
  async sendNewTrackingLink(reference: string, email: string, jobs: Jobs, baseUrl: string): Promise<boolean> {
    const row = await repo.findByReference(this.db, reference);
    if (!row?.reporter_contact_id) return false;
    const contact = await this.deps.contacts.get(this.db, row.reporter_contact_id);
    if (!contact?.email_normalised || contact.email_normalised !== email.trim().toLowerCase()) return false;
    const token = crypto.randomBytes(24).toString('base64url');
    await this.db.transaction().execute(async (trx) => {
      await repo.setTrackingTokenHash(trx, row.id, hashToken(token));
      const link = trackingUrl(baseUrl, row.reference, token);
      const subject = `Your link to report ${row.reference}`;
      const text = `You asked for a new link to check on your report ${row.reference}:\n\n${link}\n\nAny link we sent before no longer works. If you did not ask for this, you can ignore this email.`;
      await enqueueEmail(jobs, trx, {
        to: contact.email!,
        subject,
        text,
        html: textToHtml(text, { title: subject }),
      });
    });
    jobs.wake();
    return true;
  }

  /** Records that the tracking link was used: the reporter has shown they read that mailbox. */
  async confirmReporterEmail(caseId: string): Promise<void> {
    const row = await repo.findById(this.db, caseId);
    if (row?.reporter_contact_id)
      await this.deps.contacts.markEmailVerified(this.db, row.reporter_contact_id);
  }

  /**
   * A resident follows an open report instead of filing a duplicate: they become a follower (found or
   * created by email), the case's timeline says someone else reported it too, and they are sent a
   * confirmation. Following twice is harmless.
   */
  async follow(
    reference: string,
    follower: { name?: string; email: string; wantsUpdates: boolean } | KnownFollower,
    jobs: Jobs,
    baseUrl: string,
  ): Promise<{ followed: boolean; reference: string }> {
    const row = await repo.findByReference(this.db, reference);
    // Only open public reports can be followed: a private one (a missed bin at someone's house) is
    // nobody else's business, and its reference must not become a way in. Staff taking a call may
    // add a caller to any open case of theirs.
    if (!row || row.closed_at) return { followed: false, reference };
    if ('contactId' in follower ? row.body_id !== follower.takenBy.bodyId : !row.is_public)
      return { followed: false, reference };
    const followed = await this.db.transaction().execute(async (trx) => {
      const contact =
        'contactId' in follower
          ? { id: follower.contactId }
          : await this.deps.contacts.findOrCreate(trx, { name: follower.name, email: follower.email });
      const email = follower.email;
      const added = await repo.addFollower(trx, row.id, contact.id, follower.wantsUpdates && Boolean(email));
      if (!added) return false;
      await repo.insertEvent(trx, {
        case_id: row.id,
        kind: 'followed',
        is_public: true,
        body: 'Someone else reported this problem too and is following it',
        data: { contactId: contact.id, ...('contactId' in follower ? { channel: 'phone' } : {}) },
        actor: 'contactId' in follower ? 'staff' : 'resident',
        actor_staff_id: 'contactId' in follower ? follower.takenBy.staffId : null,
      });
      if ('contactId' in follower) {
        await this.deps.contacts.logInteraction(
          follower.takenBy,
          {
            contactId: contact.id,
            caseId: row.id,
            kind: 'call',
            direction: 'inbound',
            summary: `Already reported as ${row.reference}: the caller now follows it`,
          },
          trx,
        );
      }
      if (follower.wantsUpdates && email) {
        const text = `You are now following report ${row.reference}. We will email you when it is updated.\n\nSee it at any time: ${baseUrl}/reports/${row.reference}`;
        const subject = `You are following report ${row.reference}`;
        await enqueueEmail(
          jobs,
          trx,
          { to: email, subject, text, html: textToHtml(text, { title: subject }) },
          {
            dedupeKey: `follow:${row.id}:${contact.id}`,
          },
        );
      }
      return true;
    });
    if (followed) jobs.wake();
    return { followed, reference: row.reference };
  }

  private async view(row: repo.CaseRow, { forReporter }: { forReporter: boolean }): Promise<ReportView> {
    const [services, bodies, teams, events] = await Promise.all([
      this.deps.services.list({ activeOnly: false }),
      this.deps.organisations.bodies(),
      this.deps.organisations.teams(),
      repo.listEvents(this.db, row.id, { publicOnly: true }),
    ]);
    const service = services.find((s) => s.id === row.service_id);
    const body = bodies.find((b) => b.id === row.body_id);
    const team = teams.find((t) => t.id === row.team_id);
    const reporter =
      row.reporter_contact_id && (forReporter || row.reporter_name_public)
        ? await this.deps.contacts.get(this.db, row.reporter_contact_id)
        : undefined;
    const isOpen = row.closed_at === null;
    return {
      id: row.id,
      reference: row.reference,
      serviceName: service?.name ?? '',
      status: row.status,
      statusLabel: STATUS_LABELS[row.status],
      isOpen,
      outcome: row.outcome,
      handledBy: team ? `${body?.name ?? ''}: ${team.name}` : (body?.name ?? ''),
      dueAt: row.due_at,
      overdue: isOpen && row.due_at !== null && row.due_at.getTime() < Date.now(),
      reportedAt: row.created_at,
      closedAt: row.closed_at,
      lat: row.lat,
      lon: row.lon,
      locationDescription: row.location_description,
      locationDetail: row.location_detail,
      description: row.description,
      answers: Object.entries(row.answers).flatMap(([code, value]) => {
        const question = service?.definition.questions.find((q) => q.code === code);
        if (!question || question.automated) return [];
        const answer = (Array.isArray(value) ? value : [value])
          .map((v) => question.options?.find((o) => o.key === v)?.name ?? v)
          .join(', ');
        return [{ question: question.text, answer }];
      }),
      timeline: events.map((e) => {
        const linked = e.data as { reference?: unknown; linkedIsPublic?: unknown };
        return {
          kind: e.kind,
          text: e.body,
          at: e.created_at,
          ...(typeof linked.reference === 'string' && linked.linkedIsPublic === true
            ? { link: { href: `/reports/${linked.reference}`, text: `See report ${linked.reference}` } }
            : {}),
        };
      }),
      reporterName: reporter?.name ?? null,
      isPublic: row.is_public,
    };
  }
}
