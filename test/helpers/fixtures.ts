/**
 * Set-ups many database tests repeat, built from the factories:
 *
 *   - `useMailingApp(getDatabase, env)`: in a suite, a real SMTP server, the app sending through it and
 *     a worker draining the outbox, all closed after the suite;
 *   - `newCouncil(target, { staff: ['admin', 'officer'] })`: a council with a boundary, a team, a
 *     service for that team and a member of staff per role asked for;
 *   - `signedIn(app, staff)`: a TestBrowser signed in as them.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { StaffRole } from '../../src/db/database.js';
import type { Worker } from '../../src/infra/jobs/jobs.js';
import type { Body, Team } from '../../src/modules/organisations/organisations.service.js';
import type { Question } from '../../src/modules/services/service-definition.js';
import type { Service } from '../../src/modules/services/services.service.js';
import type { AppParts } from '../../src/app.js';
import { buildTestApp, TestBrowser, type TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import {
  newBody,
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
 * suite's database with SMTP_URL pointing at it (and `env`), and a worker polling every 20 ms (or as
 * `jobSettings` say, e.g. fewer attempts and a short backoff for a test of retries). Call the returned
 * function inside tests and later hooks.
 */
export function useMailingApp(
  getDatabase: () => TestDatabase,
  env: Record<string, string> = {},
  { jobSettings = {} }: { jobSettings?: AppParts['jobSettings'] } = {},
): () => MailingApp {
  let ready: MailingApp | undefined;
  let smtp: TestSmtpServer | undefined;
  let t: TestApp | undefined;
  let worker: Worker | undefined;
  before(async () => {
    smtp = await startSmtpServer();
    t = await buildTestApp(getDatabase(), {
      env: { SMTP_URL: smtp.url, ...env },
      parts: { jobSettings: { pollMs: 20, ...jobSettings } },
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
