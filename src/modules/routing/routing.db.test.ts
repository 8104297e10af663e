/**
 * RoutingService end to end on a real database, with a two-tier council's areas (a borough, a ward and a
 * parish inside it) in the real spatial index: the whole decision, including due dates on the council's
 * calendar.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { buildDomain, type Domain } from '../../domain.js';
import { fromLocal } from '../../lib/working-time.js';
import { describeEachEngine } from '../../../test/helpers/database.js';
import {
  newArea,
  newBody,
  newCalendar,
  newRule,
  newService,
  newTeam,
  rectangle,
} from '../../../test/helpers/factories.js';
import { POTHOLE_QUESTIONS } from '../../../test/helpers/fixtures.js';

const inParish = { lat: 53.41, lon: -2.37 }; // in the parish, in the south-west ward
const inNorthWest = { lat: 53.45, lon: -2.38 }; // in the borough, outside that ward
const london = (date: string, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return fromLocal(date, h * 60 + m, 'Europe/London');
};

describeEachEngine('routing service', (getDatabase) => {
  let domain: Domain;
  before(async () => {
    const { db } = getDatabase();
    const borough = await newBody(db, { code: 'ashdown' });
    const parish = await newBody(db, {
      code: 'little-wickham',
      kind: 'parish',
      email: 'clerk@littlewickham-pc.example',
    });
    await newArea(db, { body: borough, code: 'ASHDOWN', ring: rectangle(-2.4, 53.4, -2.26, 53.47) });
    await newArea(db, {
      body: borough,
      kind: 'ward',
      code: 'W-SW',
      ring: rectangle(-2.4, 53.4, -2.33, 53.435),
    });
    await newArea(db, {
      body: parish,
      kind: 'parish',
      code: 'P-LW',
      ring: [
        [-2.395, 53.405],
        [-2.345, 53.405],
        [-2.37, 53.43],
        [-2.395, 53.405],
      ],
    });
    await newCalendar(db, {
      code: 'standard',
      closures: ['2026-12-29', '2026-12-30', '2026-12-31'].map((date) => ({
        date,
        name: 'Christmas closure',
      })),
    });
    const clerk = await newTeam(db, { body: parish, code: 'clerk' });
    const roadSafety = await newTeam(db, { body: borough, code: 'road-safety' });
    const highways = await newTeam(db, { body: borough, code: 'highways' });
    const outOfHours = await newTeam(db, { body: borough, code: 'out-of-hours' });
    const yesNo = [
      { key: 'yes', name: 'Yes' },
      { key: 'no', name: 'No' },
    ];
    const speeding = await newService(db, {
      code: 'speeding',
      body: borough,
      team: roadSafety,
      offeredBy: [borough, parish],
      timescale: { unit: 'working_days', amount: 20 },
      questions: [
        {
          code: 'when',
          text: 'When does it happen most?',
          datatype: 'singlevaluelist',
          required: true,
          options: ['morning', 'night'].map((key) => ({ key, name: key })),
        },
        {
          code: 'school',
          text: 'Is it near a school?',
          datatype: 'singlevaluelist',
          required: true,
          options: yesNo,
        },
        {
          code: 'speed_limit',
          text: 'What is the speed limit?',
          datatype: 'singlevaluelist',
          required: true,
          options: ['20', '30', '40'].map((key) => ({ key, name: `${key} mph` })),
        },
      ],
    });
    const pothole = await newService(db, {
      code: 'pothole',
      body: borough,
      team: highways,
      questions: POTHOLE_QUESTIONS,
    });
    await newRule(db, {
      service: speeding,
      body: parish,
      team: clerk,
      showContact: true,
      conditions: {
        areaKind: 'parish',
        areaCode: 'P-LW',
        answers: [
          { question: 'speed_limit', operator: 'in', values: ['20', '30'] },
          { question: 'school', operator: 'equals', values: ['no'] },
          { question: 'when', operator: 'not_equals', values: ['night'] },
        ],
      },
    });
    await newRule(db, {
      service: pothole,
      body: borough,
      team: outOfHours,
      conditions: { outOfHours: true },
    });
    domain = buildDomain(db);
    await domain.routing.setOutsideAreaContact({ message: 'This place is outside Ashdown.' });
  });

  it('sends speeding in the parish to the parish clerk, showing the clerk’s contact details', async () => {
    const result = await domain.routing.route({
      ...inParish,
      serviceCode: 'speeding',
      answers: { speed_limit: '30', school: 'no', when: 'morning' },
      at: london('2026-11-24', '10:00'),
    });
    assert.equal(result.outcome, 'routed');
    if (result.outcome !== 'routed') return;
    assert.equal(result.body.code, 'little-wickham');
    assert.equal(result.team?.code, 'clerk');
    assert.equal(result.contact?.email, 'clerk@littlewickham-pc.example');
    assert.deepEqual(
      result.areas.map((a) => a.code),
      ['ASHDOWN', 'W-SW', 'P-LW'],
    );
    // 20 working days from Tuesday 24 November 2026: Christmas, the substitute Boxing Day and the
    // council's 29–31 December closure are not working days.
    assert.equal(result.dueAt.toISOString(), london('2026-12-22', '17:00').toISOString());
  });

  it('sends the same report outside the parish to the borough’s road safety team', async () => {
    const result = await domain.routing.route({
      ...inNorthWest,
      serviceCode: 'speeding',
      answers: { speed_limit: '30', school: 'no', when: 'morning' },
    });
    assert.equal(result.outcome === 'routed' && result.team?.code, 'road-safety');
    assert.equal(result.outcome === 'routed' && result.decidedBy.kind, 'default');
  });

  it('sends a pothole reported on a Saturday to the out-of-hours duty officer', async () => {
    const saturday = await domain.routing.route({
      ...inNorthWest,
      serviceCode: 'pothole',
      answers: { danger: 'no', size: 'large' },
      at: london('2026-11-28', '11:00'),
    });
    assert.equal(saturday.outcome === 'routed' && saturday.team?.code, 'out-of-hours');
    const monday = await domain.routing.route({
      ...inNorthWest,
      serviceCode: 'pothole',
      answers: { danger: 'no', size: 'large' },
      at: london('2026-11-30', '11:00'),
    });
    assert.equal(monday.outcome === 'routed' && monday.team?.code, 'highways');
  });

  it('stops the form for a stop answer', async () => {
    const result = await domain.routing.route({
      ...inNorthWest,
      serviceCode: 'pothole',
      answers: { danger: 'yes' },
    });
    assert.equal(result.outcome, 'stop');
    assert.equal(
      result.outcome === 'stop' && result.message,
      'Call 0100 000 0000 now (24 hours) so we can make it safe.',
    );
  });

  it('tells a resident outside every body’s area who to contact instead', async () => {
    const result = await domain.routing.route({ lat: 51.5, lon: -0.12, serviceCode: 'pothole' });
    assert.equal(result.outcome, 'outside');
    assert.match(result.outcome === 'outside' ? result.contact.message : '', /outside Ashdown/);
  });

  it('offers the parish’s services as well as the borough’s inside the parish (two-tier union)', async () => {
    const here = await domain.routing.servicesAt(inParish.lon, inParish.lat);
    assert.ok(here.services.some((s) => s.code === 'speeding'));
    assert.ok(here.services.some((s) => s.code === 'pothole'));
    const nowhere = await domain.routing.servicesAt(-0.12, 51.5);
    assert.deepEqual(nowhere.services, []);
  });
});
