/**
 * Factories: the least a test needs, written through the same module services an admin's pages and the
 * CLI use, with unique defaults that any field can override. A test that is not about the demo council
 * makes only the bodies, teams, services, staff and cases it talks about:
 *
 *   const council = await newBody(db, { area: true });        // a body whose boundary holds AT
 *   const highways = await newTeam(db, { body: council });
 *   const pothole = await newService(db, { body: council, team: highways });
 *   const officer = await newStaff(db, { role: 'officer', body: council, team: highways });
 *   const { reference } = await newCase(t.app, { service: pothole });
 *
 * Codes and emails are unique within the process, so a test may call a factory as often as it likes on
 * one database.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database, StaffRole } from '../../src/db/database.js';
import { buildDomain, type Domain } from '../../src/domain.js';
import { importAreas, type AreaKind } from '../../src/modules/areas/areas.service.js';
import type { CalendarSummary } from '../../src/modules/calendars/calendars.service.js';
import type { Body, Team } from '../../src/modules/organisations/organisations.service.js';
import type { Actor, ReportSubmission } from '../../src/modules/cases/index.js';
import type { RuleInput } from '../../src/modules/routing/routing.service.js';
import type { Question } from '../../src/modules/services/service-definition.js';
import type { Service } from '../../src/modules/services/services.service.js';
import { createStaffAccount } from '../../src/modules/staff/create-staff.js';
import type { Timescale } from '../../src/lib/working-time.js';

/**
 * Where a factory writes: a database (through a domain of its own), or a test's app (through the app's
 * own services, so that, for one, its spatial index sees a new area at once).
 */
export type Target = Kysely<Database> | FastifyInstance;

function reach(target: Target): { db: Kysely<Database>; domain: Domain } {
  if ('domain' in target) return { db: target.db, domain: target.domain };
  return { db: target, domain: buildDomain(target) };
}

let counter = 0;
/** A code no other factory call in this process has used: `prefix-7`. */
export function uniqueCode(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** [lon, lat] points, closed. */
export type Ring = [number, number][];

export function rectangle(west: number, south: number, east: number, north: number): Ring {
  return [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ];
}

/** The boundary `newBody(db, { area: true })` and `newArea` draw when given none, and a point inside it. */
export const TEST_BOUNDS = { west: -2.4, south: 53.4, east: -2.26, north: 53.47 };
export const AT = { lat: 53.45, lon: -2.38 };
/** A point outside every boundary the factories draw (central London). */
export const OUTSIDE = { lat: 51.5, lon: -0.12 };

export interface NewArea {
  body?: Body | null;
  kind?: AreaKind;
  code?: string;
  name?: string;
  ring?: Ring;
}

/** An area through the same import `civicdesk import-areas` uses; by default a council boundary. */
export async function newArea(target: Target, input: NewArea = {}): Promise<{ code: string }> {
  const code = input.code ?? uniqueCode('AREA').toUpperCase();
  const ring =
    input.ring ?? rectangle(TEST_BOUNDS.west, TEST_BOUNDS.south, TEST_BOUNDS.east, TEST_BOUNDS.north);
  const { db, domain } = reach(target);
  await importAreas(
    db,
    {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { code, name: input.name ?? `Area ${code}` },
          geometry: { type: 'Polygon', coordinates: [ring] },
        },
      ],
    },
    {
      kind: input.kind ?? 'council',
      codeField: 'code',
      nameField: 'name',
      ...(input.body ? { bodyCode: input.body.code } : {}),
    },
  );
  domain.areaIndex.invalidate();
  return { code };
}

export interface NewBodyInput {
  code?: string;
  name?: string;
  kind?: string;
  email?: string;
  phone?: string;
  website?: string;
  /** Draw its boundary as well: true for TEST_BOUNDS, or a ring of your own. */
  area?: boolean | Ring;
}

/** A body through OrganisationsService, as an admin adds one. */
export async function newBody(target: Target, input: NewBodyInput = {}): Promise<Body> {
  const code = input.code ?? uniqueCode('body');
  const body = await reach(target).domain.organisations.createBody({
    code,
    name: input.name ?? `Body ${code}`,
    kind: input.kind ?? 'unitary',
    email: input.email ?? `${code}@example.gov.uk`,
    phone: input.phone ?? '',
    website: input.website ?? '',
  });
  if (input.area) await newArea(target, { body, ...(input.area === true ? {} : { ring: input.area }) });
  return body;
}

/** A team of a body through OrganisationsService. */
export async function newTeam(
  target: Target,
  input: { body: Body; code?: string; name?: string; email?: string },
): Promise<Team> {
  const code = input.code ?? uniqueCode('team');
  return reach(target).domain.organisations.createTeam(input.body, {
    code,
    name: input.name ?? `Team ${code}`,
    email: input.email ?? `${code}@${input.body.code}.example.gov.uk`,
  });
}

export interface NewServiceInput {
  /** The default body (and the only one offering it, unless `offeredBy` says otherwise). */
  body: Body;
  team?: Team;
  code?: string;
  name?: string;
  group?: string;
  keywords?: string[];
  questions?: Question[];
  timescale?: Timescale;
  calendar?: string;
  whatHappensNext?: string;
  isPublic?: boolean;
  active?: boolean;
  anonymousAllowed?: boolean;
  offeredBy?: Body[];
}

/** A service through ServicesService, with no questions unless given some. */
export async function newService(target: Target, input: NewServiceInput): Promise<Service> {
  const code = input.code ?? uniqueCode('service');
  return reach(target).domain.services.save({
    code,
    name: input.name ?? `Service ${code}`,
    group: input.group ?? 'Test services',
    description: '',
    keywords: input.keywords ?? [],
    isPublic: input.isPublic ?? true,
    active: input.active ?? true,
    offeredBy: (input.offeredBy ?? [input.body]).map((b) => b.code),
    definition: {
      defaultBody: input.body.code,
      ...(input.team ? { defaultTeam: input.team.code } : {}),
      timescale: input.timescale ?? { unit: 'working_days', amount: 5 },
      ...(input.calendar ? { calendar: input.calendar } : {}),
      whatHappensNext: input.whatHappensNext ?? '',
      questions: input.questions ?? [],
      ...(input.anonymousAllowed ? { anonymousAllowed: true } : {}),
    },
  });
}

/** A routing rule through RoutingService; returns its id. */
export async function newRule(
  target: Target,
  input: {
    service: Service | null;
    body: Body;
    team?: Team;
    conditions?: unknown;
    name?: string;
    position?: number;
    showContact?: boolean;
  },
): Promise<string> {
  const rule: RuleInput = {
    serviceCode: input.service?.code ?? null,
    position: input.position ?? 10,
    name: input.name ?? uniqueCode('rule'),
    conditions: input.conditions ?? {},
    bodyCode: input.body.code,
    teamCode: input.team?.code ?? null,
    showContact: input.showContact ?? false,
    enabled: true,
  };
  return reach(target).domain.routing.saveRule(rule);
}

/** A calendar through CalendarsService (Monday to Friday, 08:30 to 17:00, bank holidays closed). */
export async function newCalendar(
  target: Target,
  input: Partial<CalendarSummary> = {},
): Promise<CalendarSummary> {
  const calendars = reach(target).domain.calendars;
  const code = input.code ?? uniqueCode('calendar');
  await calendars.create({
    code,
    name: input.name ?? `Calendar ${code}`,
    workingWeekdays: input.workingWeekdays ?? [1, 2, 3, 4, 5],
    opensAt: input.opensAt ?? '08:30',
    closesAt: input.closesAt ?? '17:00',
    bankHolidays: input.bankHolidays ?? 'england-and-wales',
  });
  for (const closure of input.closures ?? []) await calendars.addClosure(code, closure);
  return (await calendars.get(code))!;
}

export interface TestStaff {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  password: string;
  body: Body;
  team: Team | undefined;
}

/** A member of staff with a password, as `civicdesk staff create` makes one. */
export async function newStaff(
  target: Target,
  input: { role: StaffRole; body: Body; team?: Team; email?: string; name?: string; password?: string },
): Promise<TestStaff> {
  const code = uniqueCode(input.role.replace('_', '-'));
  const email = input.email ?? `${code}@${input.body.code}.example.gov.uk`;
  const name = input.name ?? `Staff ${code}`;
  const password = input.password ?? crypto.randomBytes(12).toString('base64url');
  const { db, domain } = reach(target);
  const created = await createStaffAccount(db, domain.organisations, {
    email,
    name,
    role: input.role,
    bodyCode: input.body.code,
    ...(input.team ? { teamCode: input.team.code } : {}),
    password,
  });
  if (created.outcome !== 'created') throw new Error(created.message);
  return { id: created.id, email, name, role: input.role, password, body: input.body, team: input.team };
}

/**
 * A street in the gazetteer (its place search), through the same CSV import `civicdesk import-streets`
 * uses: points along a line from `from` to `to` ([lon, lat]).
 */
export async function newStreet(
  target: Target,
  input: { name: string; locality: string; from: [number, number]; to: [number, number] },
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-street-'));
  try {
    const file = path.join(dir, 'streets.csv');
    const points = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const lon = input.from[0] + (input.to[0] - input.from[0]) * f;
      const lat = input.from[1] + (input.to[1] - input.from[1]) * f;
      return `"${input.name}","${input.locality}",${lon.toFixed(6)},${lat.toFixed(6)}`;
    });
    fs.writeFileSync(file, `street,locality,lon,lat\n${points.join('\n')}\n`);
    await reach(target).domain.gazetteer.importStreets(file, {
      nameField: 'street',
      localityField: 'locality',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A member of staff as the case core's services take them (acting on a case without a browser). */
export function actorOf(staff: TestStaff): Actor {
  return {
    id: staff.id,
    name: staff.name,
    role: staff.role,
    bodyId: staff.body.id,
    teamId: staff.team?.id ?? null,
  };
}

/**
 * A case: a minimal report submitted through the app's intake, for a service at a point inside an area
 * (AT unless given), with a made-up reporter. Anything else a submission takes can be given too.
 */
export async function newCase(
  app: FastifyInstance,
  input: { service: Service | string } & Partial<Omit<ReportSubmission, 'serviceCode'>>,
): Promise<{ reference: string; id: string }> {
  const { service, ...rest } = input;
  const result = await app.intake.submit({
    serviceCode: typeof service === 'string' ? service : service.code,
    ...AT,
    description: 'Reported by a test',
    reporter: { name: 'Test Resident', email: `${uniqueCode('resident')}@example.org` },
    channel: 'web',
    ...rest,
  });
  return { reference: result.case.reference, id: result.case.id };
}
