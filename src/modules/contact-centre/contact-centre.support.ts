/**
 * What the contact centre's route files share: the acting scope, the contact id in the path, and the
 * phone report kept in the session between its pages (and, once sent, shown once on the caller's page).
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../lib/errors.js';
import type { ContactScope } from '../contacts/index.js';

export function scopeOf(request: FastifyRequest): ContactScope {
  return { staffId: request.staff!.id, bodyId: request.staff!.bodyId };
}

/**
 * The caller's id from the path of a route registered with `contactParams` (for route files that do not
 * use the typed app; typed ones read `request.params.id`).
 */
export function contactIdOf(request: FastifyRequest): string {
  const { params } = request;
  if (typeof params !== 'object' || params === null || !('id' in params) || typeof params.id !== 'string')
    throw new AppError('not_found');
  return params.id;
}

export const contactParams = { params: Type.Object({ id: Type.String({ maxLength: 36 }) }) };

const SESSION_KEY = 'phoneReport';
const FINISHED_KEY = 'phoneReportFinished';

/** One report in progress per signed-in agent, for one caller. */
export interface PhoneReport {
  id: string;
  contactId: string;
  lat?: number;
  lon?: number;
  placeLabel?: string;
  serviceCode?: string;
}

export interface FinishedReport {
  contactId: string;
  reference: string;
  /** What happened, to read to the caller: created and where it went, or following an open case. */
  message: string;
}

export async function readReport(
  request: FastifyRequest,
  contactId: string,
): Promise<PhoneReport | undefined> {
  const value = (await request.ensureSession()).data[SESSION_KEY] as PhoneReport | undefined;
  return value && value.contactId === contactId ? value : undefined;
}

export async function saveReport(request: FastifyRequest, report: PhoneReport | undefined): Promise<void> {
  const session = await request.ensureSession();
  const data = { ...session.data };
  if (report) data[SESSION_KEY] = report;
  else delete data[SESSION_KEY];
  session.data = data;
  await request.saveSession();
}

export async function finish(request: FastifyRequest, finished: FinishedReport): Promise<void> {
  const session = await request.ensureSession();
  const data: Record<string, unknown> = { ...session.data, [FINISHED_KEY]: finished };
  delete data[SESSION_KEY];
  session.data = data;
  await request.saveSession();
}

/** The report just finished for this caller (shown once on their page, with the reference to read out). */
export async function takeFinishedReport(
  request: FastifyRequest,
  contactId: string,
): Promise<FinishedReport | undefined> {
  const session = await request.ensureSession();
  const finished = session.data[FINISHED_KEY] as FinishedReport | undefined;
  if (!finished || finished.contactId !== contactId) return undefined;
  const data = { ...session.data };
  delete data[FINISHED_KEY];
  session.data = data;
  await request.saveSession();
  return finished;
}
