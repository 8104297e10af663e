/**
 * Due dates on both engines, from a service's timescale and the council's calendar as stored in the
 * database (Monday to Friday, 08:30 to 17:00, England and Wales bank holidays, a Christmas closure):
 * working days over Christmas, working hours across a weekend and from a Saturday, calendar days.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { buildDomain, type Domain } from '../src/domain.js';
import { fromLocal, type Timescale } from '../src/lib/working-time.js';
import type { Service } from '../src/modules/services/services.service.js';
import { describeEachEngine } from './helpers/database.js';
import { AT, newBody, newCalendar, newService } from './helpers/factories.js';

const london = (date: string, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return fromLocal(date, h * 60 + m, 'Europe/London');
};

describeEachEngine('due dates from timescales', (getDatabase) => {
  let domain: Domain;
  let pothole: Service;

  before(async () => {
    const { db } = getDatabase();
    const council = await newBody(db, { area: true });
    const calendar = await newCalendar(db, {
      closures: ['2026-12-29', '2026-12-30', '2026-12-31'].map((date) => ({
        date,
        name: 'Christmas closure',
      })),
    });
    pothole = await newService(db, { body: council, calendar: calendar.code });
    domain = buildDomain(db);
  });

  /** The pothole service with this timescale; then the due date of a pothole reported at `at`. */
  async function dueFor(timescale: Timescale, at: Date): Promise<string> {
    const service = (await domain.services.get(pothole.code))!;
    await domain.services.save({
      code: service.code,
      name: service.name,
      group: service.group,
      description: service.description,
      keywords: service.keywords,
      isPublic: service.isPublic,
      active: service.active,
      definition: { ...service.definition, timescale },
      offeredBy: service.offeredBy,
    });
    const decision = await domain.routing.route({ ...AT, serviceCode: pothole.code, at });
    assert.equal(decision.outcome, 'routed');
    return decision.outcome === 'routed' ? decision.dueAt.toISOString() : '';
  }

  it('counts working days past Christmas, the substitute Boxing Day, the closure and New Year', async () => {
    // Thu 24 Dec 2026 → Fri 25 (Christmas), Mon 28 (Boxing Day, substitute), 29–31 (closure),
    // Fri 1 Jan (New Year's Day) are not working days: Mon 4 Jan is the first, Tue 5 Jan the second.
    assert.equal(
      await dueFor({ unit: 'working_days', amount: 2 }, london('2026-12-24', '10:00')),
      london('2027-01-05', '17:00').toISOString(),
    );
  });

  it('counts working hours across a weekend, and from a Saturday from Monday’s opening', async () => {
    // Friday 15:00: two hours that day, two more from 08:30 on Monday.
    assert.equal(
      await dueFor({ unit: 'working_hours', amount: 4 }, london('2026-11-27', '15:00')),
      london('2026-11-30', '10:30').toISOString(),
    );
    assert.equal(
      await dueFor({ unit: 'working_hours', amount: 4 }, london('2026-11-28', '10:00')),
      london('2026-11-30', '12:30').toISOString(),
    );
  });

  it('counts calendar days through the weekend, to the end of the day', async () => {
    assert.equal(
      await dueFor({ unit: 'calendar_days', amount: 3 }, london('2026-11-27', '15:00')),
      london('2026-11-30', '23:59').toISOString(),
    );
  });
});
