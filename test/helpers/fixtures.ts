/**
 * Set-ups many database tests repeat, built from the factories:
 *
 *   - `useMailingApp(getDatabase, env)`: in a suite, a real SMTP server, the app sending through it and
 *     a worker draining the outbox, all closed after the suite;
 *   - `newCouncil(target, { staff: ['admin', 'officer'] })`: a council with a boundary, a team, a
 *     service for that team and a member of staff per role asked for;
 *   - `newCouncilWithParish(target)`: such a council with admin and officer, and a parish its speeding
 *     reports are routed to (for delivery to another body);
 *   - `signedIn(app, staff)`: a TestBrowser signed in as them.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../../src/db/database.js';
import type { Worker } from '../../src/infra/jobs/jobs.js';
import type { Body, Team } from '../../src/modules/organisations/organisations.service.js';
import type { Question } from '../../src/modules/services/service-definition.js';
import type { Service } from '../../src/modules/services/services.service.js';
import type { AppParts } from '../../src/app.js';
import { buildTestApp, TestBrowser, type TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import {
  newBody,
  newRule,
  newService,
  newStaff,
  newTeam,
  type NewBodyInput,
  type NewServiceInput,
  type Target,
  type TestStaff,
} from './factories.js';
import { startSmtpServer, type TestSmtpServer } from './smtp.js';

export interface MailingApp {
  t: TestApp;
  app: FastifyInstance;
  smtp: TestSmtpServer;
  worker: Worker;
}

/**
 * Registers before() and after() hooks in the calling suite: an SMTP server, the app built on this
 * suite's database with SMTP_URL pointing at it (and `env`, or what `env()` gives in the hook, for
 * settings known only once an earlier hook has run), and a worker polling every 20 ms (or as
 * `jobSettings` say, e.g. fewer attempts and a short backoff for a test of retries; other `parts` of the
 * app as given). Call the returned
 * function inside tests and later hooks.
 */
export function useMailingApp(
  getDatabase: () => TestDatabase,
  env: Record<string, string> | (() => Record<string, string>) = {},
  {
    jobSettings = {},
    parts = {},
  }: { jobSettings?: AppParts['jobSettings']; parts?: Omit<AppParts, 'database' | 'jobSettings'> } = {},
): () => MailingApp {
  let ready: MailingApp | undefined;
  let smtp: TestSmtpServer | undefined;
  let t: TestApp | undefined;
  let worker: Worker | undefined;
  before(async () => {
    smtp = await startSmtpServer();
    t = await buildTestApp(getDatabase(), {
      env: { SMTP_URL: smtp.url, ...(typeof env === 'function' ? env() : env) },
      parts: { ...parts, jobSettings: { pollMs: 20, ...jobSettings } },
    });
    worker = t.app.jobs.createWorker(pino({ level: 'silent' }));
    await worker.start();
    ready = { t, app: t.app, smtp, worker };
  });
  after(async () => {
    await worker?.stop();
    await t?.close();
    await smtp?.close();
  });
  return () => {
    if (!ready) throw new Error('the mailing app is not ready');
    return ready;
  };
}

/** Questions like a pothole form's: one whose "yes" stops the form, one plain choice. */
export const POTHOLE_QUESTIONS: Question[] = [
  {
    code: 'danger',
    text: 'Is it causing an immediate danger to people or vehicles?',
    datatype: 'singlevaluelist',
    required: true,
    options: [
      { key: 'yes', name: 'Yes', stop: 'Call 0100 000 0000 now (24 hours) so we can make it safe.' },
      { key: 'no', name: 'No' },
    ],
  },
  {
    code: 'size',
    text: 'About how wide is it?',
    datatype: 'singlevaluelist',
    required: true,
    options: [
      { key: 'small', name: 'Smaller than a dinner plate' },
      { key: 'large', name: 'Larger than a dinner plate' },
    ],
  },
];
/** Answers to POTHOLE_QUESTIONS that report it. */
export const POTHOLE_ANSWERS = { danger: 'no', size: 'large' };

export interface TestCouncil {
  body: Body;
  team: Team;
  service: Service;
  staff: Partial<Record<StaffRole, TestStaff>>;
}

/**
 * A council with its boundary (TEST_BOUNDS), one team, a service called Pothole (with no questions unless
 * given some, such as POTHOLE_QUESTIONS) that the team handles, and one member of staff per role in
 * `staff`, all in that team but the admin.
 */
export async function newCouncil(
  target: Target,
  input: {
    body?: Omit<NewBodyInput, 'area'>;
    team?: { code?: string; name?: string; email?: string };
    service?: Omit<NewServiceInput, 'body' | 'team'>;
    staff?: StaffRole[];
    staffNames?: Partial<Record<StaffRole, string>>;
  } = {},
): Promise<TestCouncil> {
  const body = await newBody(target, { ...input.body, area: true });
  const team = await newTeam(target, { body, ...input.team });
  const service = await newService(target, {
    name: 'Pothole',
    ...input.service,
    body,
    team,
  });
  const staff: TestCouncil['staff'] = {};
  for (const role of input.staff ?? []) {
    const name = input.staffNames?.[role];
    staff[role] = await newStaff(target, {
      role,
      body,
      ...(role === 'admin' ? {} : { team }),
      ...(name ? { name } : {}),
    });
  }
  return { body, team, service, staff };
}

/** A question like a speeding form's whose answer shows in a delivered case: '30' is "30 mph". */
export const SPEED_LIMIT_QUESTION: Question = {
  code: 'speed_limit',
  text: 'What is the speed limit?',
  datatype: 'singlevaluelist',
  required: true,
  options: [
    { key: '20', name: '20 mph' },
    { key: '30', name: '30 mph' },
  ],
};
export const PARISH_NAME = 'Little Wickham Parish Council (fictional)';

export interface CouncilWithParish {
  borough: TestCouncil;
  parish: Body;
  clerk: Team;
  /** "Speeding traffic", offered by both, asking SPEED_LIMIT_QUESTION; a rule sends all of it to the parish. */
  speeding: Service;
}

/**
 * A council (with an admin and an officer) and a parish called PARISH_NAME, whose clerk's team a routing
 * rule (showing the resident's contact) sends every speeding report to: the set-up for a case delivered
 * to another body, once a test gives the parish a delivery target.
 */
export async function newCouncilWithParish(target: Target): Promise<CouncilWithParish> {
  const borough = await newCouncil(target, { staff: ['admin', 'officer'] });
  const parish = await newBody(target, { kind: 'parish', name: PARISH_NAME });
  const clerk = await newTeam(target, { body: parish, name: 'Parish clerk' });
  const speeding = await newService(target, {
    body: borough.body,
    team: borough.team,
    name: 'Speeding traffic',
    questions: [SPEED_LIMIT_QUESTION],
    offeredBy: [borough.body, parish],
  });
  await newRule(target, { service: speeding, body: parish, team: clerk, showContact: true });
  return { borough, parish, clerk, speeding };
}

/** A case's timeline, oldest first, every field of each event. */
export function caseEvents(db: Kysely<Database>, caseId: string) {
  return db.selectFrom('case_event').selectAll().where('case_id', '=', caseId).orderBy('id').execute();
}

/** A TestBrowser signed in as this member of staff (the authenticator app set up if they need one). */
export async function signedIn(
  app: FastifyInstance,
  who: { email: string; password: string } | undefined,
  options: { remoteAddress?: string } = {},
): Promise<TestBrowser> {
  assert.ok(who, 'the member of staff to sign in as');
  const browser = new TestBrowser(app, options);
  assert.equal((await browser.signIn(who.email, who.password)).statusCode, 303, `${who.email} signs in`);
  return browser;
}
