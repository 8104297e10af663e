import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDefinition, stopFor } from '../services/service-definition.js';
import {
  decideRoute,
  servicesOfferedAt,
  type AreaMatch,
  type RoutingInput,
  type RoutingRule,
} from './routing-engine.js';

const borough = {
  id: 'b1',
  code: 'borough',
  name: 'Borough Council',
  email: 'cs@borough.example',
  phone: '0100',
  website: null,
};
const parish = {
  id: 'b2',
  code: 'oakley-pc',
  name: 'Oakley Parish Council',
  email: 'clerk@oakley.example',
  phone: '0101',
  website: null,
};
const county = { id: 'b3', code: 'county', name: 'County Council', email: null, phone: null, website: null };
const bodies = [borough, parish, county];
const teams = [
  { id: 't1', code: 'road-safety', name: 'Road safety', bodyId: 'b1' },
  { id: 't2', code: 'clerk', name: 'Parish clerk', bodyId: 'b2' },
  { id: 't3', code: 'out-of-hours', name: 'Out-of-hours duty officer', bodyId: 'b1' },
  { id: 't4', code: 'highways', name: 'Highways', bodyId: 'b1' },
];

const area = (kind: string, code: string, bodyId: string | null): AreaMatch => ({
  id: `${kind}-${code}`,
  kind,
  code,
  name: code,
  bodyId,
  onBoundary: false,
});
const inParish = [area('council', 'BOROUGH', 'b1'), area('ward', 'W1', 'b1'), area('parish', 'OAKLEY', 'b2')];
const notInParish = [area('council', 'BOROUGH', 'b1'), area('ward', 'W2', 'b1')];

// The speeding example: the parish runs Community Speedwatch for residential roads (limit 20 or 30),
// not near a school, by day; everything else goes to the borough's road safety team.
const speedingRules: RoutingRule[] = [
  {
    id: 'r1',
    name: 'Speedwatch in Oakley',
    position: 1,
    serviceCode: 'speeding',
    conditions: {
      areaKind: 'parish',
      areaCode: 'OAKLEY',
      answers: [
        { question: 'speed_limit', operator: 'in', values: ['20', '30'] },
        { question: 'school', operator: 'equals', values: ['no'] },
        { question: 'when', operator: 'not_equals', values: ['night'] },
      ],
    },
    bodyId: 'b2',
    teamId: 't2',
    showContact: true,
    enabled: true,
  },
];

function input(overrides: Partial<RoutingInput>): RoutingInput {
  return {
    service: {
      code: 'speeding',
      name: 'Speeding traffic',
      defaultBody: 'borough',
      defaultTeam: 'road-safety',
      offeredBy: ['borough', 'oakley-pc'],
    },
    areas: inParish,
    answers: { speed_limit: '30', school: 'no', when: 'morning' },
    outOfHours: false,
    rules: speedingRules,
    bodies,
    teams,
    ...overrides,
  };
}

describe('decideRoute', () => {
  const cases: {
    name: string;
    given: Partial<RoutingInput>;
    body: string;
    team: string | null;
    by: string;
  }[] = [
    {
      name: 'speeding in the parish, 30 mph, no school, by day → parish clerk',
      given: {},
      body: 'oakley-pc',
      team: 'clerk',
      by: 'rule',
    },
    {
      name: 'same answers outside the parish → borough',
      given: { areas: notInParish },
      body: 'borough',
      team: 'road-safety',
      by: 'default',
    },
    {
      name: 'near a school → borough',
      given: { answers: { speed_limit: '30', school: 'yes', when: 'morning' } },
      body: 'borough',
      team: 'road-safety',
      by: 'default',
    },
    {
      name: '40 mph road → borough',
      given: { answers: { speed_limit: '40', school: 'no', when: 'morning' } },
      body: 'borough',
      team: 'road-safety',
      by: 'default',
    },
    {
      name: 'at night → borough',
      given: { answers: { speed_limit: '20', school: 'no', when: 'night' } },
      body: 'borough',
      team: 'road-safety',
      by: 'default',
    },
    {
      name: 'unanswered limit → borough',
      given: { answers: { school: 'no', when: 'morning' } },
      body: 'borough',
      team: 'road-safety',
      by: 'default',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = decideRoute(input(c.given));
      assert.equal(decision.outcome, 'routed');
      if (decision.outcome !== 'routed') return;
      assert.equal(decision.body.code, c.body);
      assert.equal(decision.team?.code ?? null, c.team);
      assert.equal(decision.decidedBy.kind, c.by);
    });
  }

  it('shows the parish clerk’s contact details when the rule asks for it, and explains itself', () => {
    const decision = decideRoute(input({}));
    assert.equal(decision.outcome, 'routed');
    if (decision.outcome !== 'routed') return;
    assert.deepEqual(decision.contact, {
      name: 'Oakley Parish Council',
      email: 'clerk@oakley.example',
      phone: '0101',
      website: null,
    });
    assert.deepEqual(decision.trace, [
      {
        rule: { id: 'r1', name: 'Speedwatch in Oakley', position: 1 },
        matched: true,
        reason: 'matched: in parish OAKLEY; speed_limit in 20, 30; school equals no; when not equals night',
      },
    ]);
    const elsewhere = decideRoute(input({ areas: notInParish }));
    assert.equal(elsewhere.trace[0]?.reason, 'the point is not in parish OAKLEY');
    const school = decideRoute(input({ answers: { speed_limit: '30', school: 'yes', when: 'morning' } }));
    assert.equal(school.trace[0]?.reason, 'school is yes, not no');
  });

  it('routes out-of-hours reports to the duty officer, and in-hours ones by the next rule', () => {
    const rules: RoutingRule[] = [
      {
        id: 'o1',
        name: 'Out of hours',
        position: 1,
        serviceCode: 'pothole',
        conditions: { outOfHours: true },
        bodyId: 'b1',
        teamId: 't3',
        showContact: false,
        enabled: true,
      },
      {
        id: 'o2',
        name: 'Highways',
        position: 2,
        serviceCode: 'pothole',
        conditions: {},
        bodyId: 'b1',
        teamId: 't4',
        showContact: false,
        enabled: true,
      },
    ];
    const service = { code: 'pothole', name: 'Pothole', defaultBody: 'borough', offeredBy: ['borough'] };
    const night = decideRoute(input({ service, rules, outOfHours: true }));
    const day = decideRoute(input({ service, rules, outOfHours: false }));
    assert.equal(night.outcome === 'routed' && night.team?.code, 'out-of-hours');
    assert.equal(day.outcome === 'routed' && day.team?.code, 'highways');
    assert.equal(day.trace[0]?.reason, 'it is within opening hours');
  });

  it('ignores disabled rules and rules for other services; puts service rules before catch-all rules', () => {
    const rules: RoutingRule[] = [
      {
        id: 'all',
        name: 'Everything to the parish',
        position: 0,
        serviceCode: null,
        conditions: {},
        bodyId: 'b2',
        teamId: null,
        showContact: false,
        enabled: true,
      },
      {
        id: 'off',
        name: 'Disabled',
        position: 1,
        serviceCode: 'speeding',
        conditions: {},
        bodyId: 'b3',
        teamId: null,
        showContact: false,
        enabled: false,
      },
      {
        id: 'other',
        name: 'Other service',
        position: 1,
        serviceCode: 'pothole',
        conditions: {},
        bodyId: 'b3',
        teamId: null,
        showContact: false,
        enabled: true,
      },
      {
        id: 'mine',
        name: 'Speeding to highways',
        position: 5,
        serviceCode: 'speeding',
        conditions: {},
        bodyId: 'b1',
        teamId: 't4',
        showContact: false,
        enabled: true,
      },
    ];
    const decision = decideRoute(input({ rules }));
    assert.equal(
      decision.outcome === 'routed' && decision.decidedBy.kind === 'rule' && decision.decidedBy.id,
      'mine',
    );
  });

  it('refuses a service at a point none of its bodies covers', () => {
    const decision = decideRoute(input({ areas: [area('ward', 'ELSEWHERE', null)] }));
    assert.equal(decision.outcome, 'not_offered');
  });
});

describe('servicesOfferedAt (two-tier union)', () => {
  const services = [
    { code: 'pothole', offeredBy: ['county'] },
    { code: 'missed-bin', offeredBy: ['borough'] },
    { code: 'bench', offeredBy: ['oakley-pc'] },
  ];
  it('offers the county’s, the district’s and the parish’s services where all three cover the point', () => {
    const areas = [
      area('council', 'COUNTY', 'b3'),
      area('council', 'BOROUGH', 'b1'),
      area('parish', 'OAKLEY', 'b2'),
    ];
    assert.deepEqual(
      servicesOfferedAt(services, areas, bodies).map((s) => s.code),
      ['pothole', 'missed-bin', 'bench'],
    );
  });
  it('offers only the services of bodies covering the point', () => {
    const areas = [area('council', 'COUNTY', 'b3'), area('council', 'BOROUGH', 'b1')];
    assert.deepEqual(
      servicesOfferedAt(services, areas, bodies).map((s) => s.code),
      ['pothole', 'missed-bin'],
    );
    assert.deepEqual(servicesOfferedAt(services, [], bodies), []);
  });
});

describe('stop answers', () => {
  const definition = parseDefinition({
    defaultBody: 'borough',
    timescale: { unit: 'working_days', amount: 5 },
    questions: [
      {
        code: 'danger',
        text: 'Is anyone in danger?',
        datatype: 'singlevaluelist',
        required: true,
        options: [
          { key: 'yes', name: 'Yes', stop: 'Call 999 now.' },
          { key: 'no', name: 'No' },
        ],
      },
    ],
  });
  it('ends the form with the stop message for a stop answer, and not otherwise', () => {
    assert.equal(stopFor(definition, { danger: 'yes' }), 'Call 999 now.');
    assert.equal(stopFor(definition, { danger: 'no' }), undefined);
    assert.equal(stopFor(definition, {}), undefined);
  });
  it('rejects definitions with every problem named', () => {
    assert.throws(
      () =>
        parseDefinition({
          defaultBody: 'borough',
          timescale: { unit: 'working_days', amount: 5 },
          questions: [
            { code: 'a', text: 'A?', datatype: 'singlevaluelist', options: [{ key: 'x', name: 'X' }] },
            { code: 'a', text: 'Again?', datatype: 'notice', required: true },
          ],
        }),
      (error: Error) =>
        /a list needs at least 2 options/.test(error.message) &&
        /used twice/.test(error.message) &&
        /cannot be required/.test(error.message),
    );
  });
});
