/**
 * Delivery: a body (or one service of a body) whose cases go to an outside destination — its email
 * inbox today, an Open311 endpoint later. Each case gets a `case_delivery` row and a `delivery.send`
 * job in the transaction that created (or re-routed) it; the job runs the handler for the target's
 * method with the outbox's retries and backoff, and records every attempt's error on the row so
 * administrators see what is failing and can send it again.
 *
 * Adding a method is one `DeliveryMethod` implementation passed to `registerMethod`: the tables, the
 * job, the retries, the admin list of failures and the resident's "passed to" are shared.
 */
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database, DeliveryMethodName } from '../../db/database.js';
import type { Jobs } from '../../infra/jobs/jobs.js';
import type { Executor } from '../../infra/jobs/outbox.repository.js';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import { textToHtml } from '../../lib/email-template.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import type { CasesService } from '../cases/index.js';
import { emailProblem } from '../organisations/index.js';
import * as repo from './delivery.repository.js';

export const DELIVERY_SEND = 'delivery.send';

export interface DeliveryContext {
  delivery: repo.CaseDeliveryRow;
  target: repo.DeliveryTargetRow;
  signal: AbortSignal;
  log: Logger;
}

/** One way of delivering a case. `deliver` throws to fail the attempt (the outbox retries it). */
export interface DeliveryMethod {
  readonly method: DeliveryMethodName;
  /** How the resident is told it went: "Passed to Little Wickham Parish Council by email". */
  readonly words: string;
  deliver(context: DeliveryContext): Promise<{ externalId: string | null }>;
}

/** Settings of an email target, as stored in `delivery_target.settings`. */
export interface EmailTargetSettings {
  email: string;
  /** Send the reporter's name, email and phone to the body. Off unless an admin turns it on. */
  includeReporterContact: boolean;
  /** Attach the case's photos (else they are only counted). */
  attachPhotos: boolean;
}

export function emailSettings(settings: Record<string, unknown>): EmailTargetSettings {
  return {
    email: typeof settings.email === 'string' ? settings.email : '',
    includeReporterContact: settings.includeReporterContact === true,
    attachPhotos: settings.attachPhotos !== false,
  };
}

export interface TargetInput {
  bodyCode: string;
  /** '' for every service of the body. */
  serviceCode: string;
  email: string;
  includeReporterContact: boolean;
  attachPhotos: boolean;
  active: boolean;
}

export interface Admin {
  id: string;
  role: string;
  ip?: string;
}

export const METHOD_LABELS: Record<DeliveryMethodName, string> = {
  email: 'Email',
  open311: 'Open311',
};

/**
 * The intake's hook (and a re-route's): if the case's body has an active target for its service, a
 * delivery row and its job are written in the caller's transaction. Returns whether one was.
 */
export async function enqueueCaseDelivery(jobs: Jobs, trx: Executor, caseId: string): Promise<boolean> {
  const row = await repo.casePlacement(trx, caseId);
  if (!row) return false;
  const target = await repo.activeTargetFor(trx, row.body_id, row.service_id);
  if (!target) return false;
  const delivery = await repo.insertCaseDelivery(trx, {
    case_id: caseId,
    target_id: target.id,
    method: target.method,
  });
  if (!delivery) return false;
  await jobs.enqueue(
    trx,
    DELIVERY_SEND,
    { deliveryId: delivery.id },
    { dedupeKey: `delivery:${delivery.id}` },
  );
  return true;
}

function requireAdmin(actor: Admin): void {
  if (actor.role !== 'admin') throw new AppError('forbidden', 'Only administrators manage delivery');
}

export class DeliveryService {
  readonly #methods = new Map<DeliveryMethodName, DeliveryMethod>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: Jobs,
    private readonly options: { baseUrl: string; councilName: string },
    /** The case core, which records deliveries on the case's timeline. */
    private readonly timeline: Pick<CasesService, 'addTimelineEntry'>,
  ) {
    jobs.register(DELIVERY_SEND, (payload, context) =>
      this.#run(String(payload.deliveryId), context.job, context),
    );
  }

  registerMethod(method: DeliveryMethod): void {
    if (this.#methods.has(method.method))
      throw new Error(`Delivery by ${method.method} is already registered`);
    this.#methods.set(method.method, method);
  }

  get methods(): DeliveryMethodName[] {
    return [...this.#methods.keys()];
  }

  async #run(
    deliveryId: string,
    job: { attempts: number; max_attempts: number },
    context: { signal: AbortSignal; log: Logger },
  ): Promise<void> {
    const delivery = await repo.findDelivery(this.db, deliveryId);
    if (!delivery || delivery.state === 'sent') return; // gone, or a duplicate run after success
    const target = await repo.findTarget(this.db, delivery.target_id);
    if (!target) return;
    let externalId: string | null;
    try {
      const method = this.#methods.get(delivery.method);
      if (!method) throw new Error(`Delivery by ${delivery.method} is not available in this version`);
      ({ externalId } = await method.deliver({ delivery, target, ...context }));
      context.signal.throwIfAborted();
    } catch (error) {
      // The outbox retries it; on the last attempt it is dead-lettered, and the row says failed.
      const lastAttempt = job.attempts >= job.max_attempts;
      await repo.recordAttempt(this.db, deliveryId, {
        state: lastAttempt ? 'failed' : 'pending',
        error: describeError(error),
      });
      throw error;
    }
    const method = this.#methods.get(delivery.method)!;
    await this.db.transaction().execute(async (trx) => {
      if (!(await repo.markSent(trx, deliveryId, externalId))) return;
      await this.#tellReporter(trx, delivery.case_id, target, method);
    });
    this.jobs.wake();
  }

  /** The resident hears that their report went to the body that deals with it, and how. */
  async #tellReporter(
    trx: Executor,
    caseId: string,
    target: repo.DeliveryTargetRow,
    method: DeliveryMethod,
  ): Promise<void> {
    const row = await repo.caseForDelivery(trx, caseId);
    if (!row) return;
    const bodyName = await repo.bodyName(trx, target.body_id);
    const passed = `Passed to ${bodyName} ${method.words}`;
    await this.timeline.addTimelineEntry(trx, caseId, {
      kind: 'delivered',
      isPublic: true,
      body: passed,
      data: { method: method.method, targetId: target.id },
      actor: 'system',
    });
    if (!row.updates_by_email || !row.reporter_email) return;
    const subject = `Report ${row.reference} has been passed to ${bodyName}`;
    const text = [
      `Hello ${row.reporter_name?.trim() || 'there'},`,
      `Your report ${row.reference} (${row.service_name}) has been passed to ${bodyName}, who deal with it. We sent it ${method.words}.`,
      `You can see its progress at ${this.options.baseUrl}/reports/${row.reference}`,
      this.options.councilName,
    ].join('\n\n');
    await enqueueEmail(
      this.jobs,
      trx,
      {
        to: row.reporter_email,
        subject,
        text,
        html: textToHtml(text, { title: subject }),
        headers: { 'X-Civicdesk-Reference': row.reference },
      },
      { dedupeKey: `delivered-notice:${caseId}:${target.id}` },
    );
  }

  // ------------------------------------------------------------ administration

  async targets(actor: Admin) {
    requireAdmin(actor);
    const rows = await repo.listTargets(this.db);
    return rows.map((row) => ({ ...row, email: emailSettings(row.settings) }));
  }

  async target(actor: Admin, id: string) {
    requireAdmin(actor);
    const row = isUuid(id) ? await repo.findTarget(this.db, id) : undefined;
    if (!row) throw new AppError('not_found', 'There is no such delivery target');
    return row;
  }

  /** Adds (no id) or changes an email target. Problems come back as field errors. */
  async saveEmailTarget(actor: Admin, id: string | undefined, input: TargetInput): Promise<string> {
    requireAdmin(actor);
    const problems: FieldError[] = [];
    const bodyId = input.bodyCode ? await repo.bodyIdByCode(this.db, input.bodyCode) : undefined;
    if (!bodyId) problems.push({ field: 'bodyCode', message: 'Choose the body whose cases are sent' });
    let serviceId: string | null = null;
    if (input.serviceCode) {
      const service = await repo.serviceIdByCode(this.db, input.serviceCode);
      if (!service) problems.push({ field: 'serviceCode', message: 'Choose a service from the list' });
      else serviceId = service;
    }
    const email = input.email.trim();
    const emailIssue = email ? emailProblem(email) : 'Enter the email address cases are sent to';
    if (emailIssue) problems.push({ field: 'email', message: emailIssue });
    if (problems.length) throw new AppError('validation_failed', 'There is a problem', problems);

    const settings: EmailTargetSettings = {
      email,
      includeReporterContact: input.includeReporterContact,
      attachPhotos: input.attachPhotos,
    };
    const values = {
      body_id: bodyId!,
      service_id: serviceId,
      settings: settings as unknown as Record<string, unknown>,
      active: input.active,
    };
    try {
      return await this.db.transaction().execute(async (trx) => {
        const saved = id
          ? await repo.updateTarget(trx, id, values)
          : await repo.insertTarget(trx, { ...values, method: 'email' });
        if (!saved) throw new AppError('not_found', 'There is no such delivery target');
        await audit(trx, {
          staffId: actor.id,
          action: id ? 'delivery_target.changed' : 'delivery_target.added',
          detail: {
            targetId: saved.id,
            bodyCode: input.bodyCode,
            serviceCode: input.serviceCode || null,
            active: input.active,
          },
          ...(actor.ip ? { ip: actor.ip } : {}),
        });
        return saved.id;
      });
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      throw new AppError('validation_failed', 'There is a problem', [
        {
          field: input.serviceCode ? 'serviceCode' : 'bodyCode',
          message: input.serviceCode
            ? 'This service of this body already has an active target: change or turn off that one first'
            : 'This body already has an active target for all its services: change or turn off that one first',
        },
      ]);
    }
  }

  async troubled(actor: Admin) {
    requireAdmin(actor);
    return repo.troubledDeliveries(this.db);
  }

  async unmatchedInbound(actor: Admin) {
    requireAdmin(actor);
    return repo.unmatchedInbound(this.db);
  }

  /** "Retry now": a fresh job with a fresh set of attempts, whatever state the old one is in. */
  async retryNow(actor: Admin, deliveryId: string): Promise<void> {
    requireAdmin(actor);
    const delivery = isUuid(deliveryId) ? await repo.findDelivery(this.db, deliveryId) : undefined;
    if (!delivery) throw new AppError('not_found', 'There is no such delivery');
    await this.db.transaction().execute(async (trx) => {
      if (!(await repo.markPendingAgain(trx, deliveryId))) {
        throw new AppError('validation_failed', 'This case has already been delivered');
      }
      await this.jobs.enqueue(
        trx,
        DELIVERY_SEND,
        { deliveryId },
        { dedupeKey: `delivery:${deliveryId}:retry:${Date.now()}:${Math.random().toString(36).slice(2)}` },
      );
      await audit(trx, {
        staffId: actor.id,
        action: 'delivery.retried',
        caseId: delivery.case_id,
        detail: { deliveryId, lastError: delivery.last_error },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
      await this.timeline.addTimelineEntry(trx, delivery.case_id, {
        kind: 'delivery_retried',
        isPublic: false,
        body: `Sending to the body (${METHOD_LABELS[delivery.method]}) tried again by an administrator. It had failed: ${delivery.last_error ?? 'no error recorded'}`,
        actor: 'staff',
        actorStaffId: actor.id,
      });
    });
    this.jobs.wake();
  }
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 2000);
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
