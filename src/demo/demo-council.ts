/**
 * The demo council: entirely fictional, written for this project. Its boundaries are simple shapes laid
 * over a real map so the map has streets under it, but no body, area, team or person here is real.
 * Real boundaries come in through `civicdesk import-areas`.
 */

import type { Catalogue } from '../modules/catalogue/catalogue.schema.js';

/** Ring of [lon, lat] points, closed. */
type Ring = [number, number][];

function rectangle(west: number, south: number, east: number, north: number): Ring {
  return [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ];
}

export const DEMO_BOUNDS = { west: -2.4, south: 53.4, east: -2.26, north: 53.47 };
const midLon = -2.33;
const midLat = 53.435;

export const demoAreas: {
  kind: 'council' | 'ward' | 'parish';
  code: string;
  name: string;
  body: string | null;
  ring: Ring;
}[] = [
  {
    kind: 'council',
    code: 'DEMO-ASHDOWN',
    name: 'Ashdown (fictional)',
    body: 'ashdown',
    ring: rectangle(DEMO_BOUNDS.west, DEMO_BOUNDS.south, DEMO_BOUNDS.east, DEMO_BOUNDS.north),
  },
  {
    kind: 'ward',
    code: 'DEMO-W-NW',
    name: 'Northmoor ward (fictional)',
    body: 'ashdown',
    ring: rectangle(DEMO_BOUNDS.west, midLat, midLon, DEMO_BOUNDS.north),
  },
  {
    kind: 'ward',
    code: 'DEMO-W-NE',
    name: 'Eastbrook ward (fictional)',
    body: 'ashdown',
    ring: rectangle(midLon, midLat, DEMO_BOUNDS.east, DEMO_BOUNDS.north),
  },
  {
    kind: 'ward',
    code: 'DEMO-W-SW',
    name: 'Wickham ward (fictional)',
    body: 'ashdown',
    ring: rectangle(DEMO_BOUNDS.west, DEMO_BOUNDS.south, midLon, midLat),
  },
  {
    kind: 'ward',
    code: 'DEMO-W-SE',
    name: 'Southfield ward (fictional)',
    body: 'ashdown',
    ring: rectangle(midLon, DEMO_BOUNDS.south, DEMO_BOUNDS.east, midLat),
  },
  // A parish inside the south-west ward, a triangle so it is plainly drawn, not surveyed.
  {
    kind: 'parish',
    code: 'DEMO-P-LW',
    name: 'Little Wickham parish (fictional)',
    body: 'little-wickham',
    ring: [
      [-2.395, 53.405],
      [-2.345, 53.405],
      [-2.37, 53.43],
      [-2.395, 53.405],
    ],
  },
];

export const demoStaff = [
  { role: 'admin' as const, name: 'Ada Admin (demo)', email: 'admin@ashdown.example', team: null },
  { role: 'team_lead' as const, name: 'Lee Lead (demo)', email: 'lead@ashdown.example', team: 'highways' },
  {
    role: 'officer' as const,
    name: 'Olu Officer (demo)',
    email: 'officer@ashdown.example',
    team: 'highways',
  },
  {
    role: 'agent' as const,
    name: 'Aggie Agent (demo)',
    email: 'agent@ashdown.example',
    team: 'contact-centre',
  },
];

const yesNo = [
  { key: 'yes', name: 'Yes' },
  { key: 'no', name: 'No' },
];

export const demoCatalogue: Catalogue = {
  version: 1,
  settings: {
    outsideAreaContact: {
      message:
        'This place is outside Ashdown (a fictional demo council). Report it to the council for that area: you can find it by postcode on GOV.UK.',
      url: 'https://www.gov.uk/find-local-council',
    },
  },
  bodies: [
    {
      code: 'ashdown',
      name: 'Ashdown Borough Council (fictional)',
      kind: 'unitary',
      email: 'customer.services@ashdown.example',
      phone: '0100 000 0000',
      website: 'https://ashdown.example',
    },
    {
      code: 'little-wickham',
      name: 'Little Wickham Parish Council (fictional)',
      kind: 'parish',
      email: 'clerk@littlewickham-pc.example',
      phone: '0100 000 0001',
      website: null,
    },
  ],
  teams: [
    { body: 'ashdown', code: 'highways', name: 'Highways', email: 'highways@ashdown.example' },
    { body: 'ashdown', code: 'street-lighting', name: 'Street lighting', email: 'lighting@ashdown.example' },
    { body: 'ashdown', code: 'waste', name: 'Waste and recycling', email: 'waste@ashdown.example' },
    {
      body: 'ashdown',
      code: 'enforcement',
      name: 'Environmental enforcement',
      email: 'enforcement@ashdown.example',
    },
    { body: 'ashdown', code: 'road-safety', name: 'Road safety', email: 'roadsafety@ashdown.example' },
    {
      body: 'ashdown',
      code: 'out-of-hours',
      name: 'Out-of-hours duty officer',
      email: 'duty@ashdown.example',
    },
    { body: 'ashdown', code: 'contact-centre', name: 'Contact centre', email: 'contact@ashdown.example' },
    { body: 'little-wickham', code: 'clerk', name: 'Parish clerk', email: 'clerk@littlewickham-pc.example' },
  ],
  calendars: [
    {
      code: 'standard',
      name: 'Council offices (Monday to Friday, 08:30 to 17:00)',
      timeZone: 'Europe/London',
      workingWeekdays: [1, 2, 3, 4, 5],
      opensAt: '08:30',
      closesAt: '17:00',
      bankHolidays: 'england-and-wales',
      closures: [
        { date: '2026-12-29', name: 'Christmas closure' },
        { date: '2026-12-30', name: 'Christmas closure' },
        { date: '2026-12-31', name: 'Christmas closure' },
      ],
    },
  ],
  services: [
    {
      code: 'pothole',
      name: 'Pothole',
      group: 'Roads and pavements',
      description: 'A hole or broken surface in a road',
      keywords: ['road', 'hole', 'surface', 'carriageway'],
      isPublic: true,
      active: true,
      offeredBy: ['ashdown'],
      definition: {
        defaultBody: 'ashdown',
        defaultTeam: 'highways',
        timescale: { unit: 'working_days', amount: 5 },
        whatHappensNext: 'An inspector will visit within 5 working days and decide what repair is needed.',
        questions: [
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
              { key: 'medium', name: 'About the size of a dinner plate' },
              { key: 'large', name: 'Larger than a dinner plate' },
            ],
          },
        ],
      },
    },
    {
      code: 'street-light',
      name: 'Street light not working',
      group: 'Roads and pavements',
      description: 'A street light that is out, flickering or on during the day',
      keywords: ['lamp', 'lighting', 'dark'],
      isPublic: true,
      active: true,
      offeredBy: ['ashdown'],
      definition: {
        defaultBody: 'ashdown',
        defaultTeam: 'street-lighting',
        timescale: { unit: 'working_days', amount: 10 },
        whatHappensNext: 'Our lighting contractor will repair it within 10 working days.',
        questions: [
          {
            code: 'column_number',
            text: 'Number on the lamp post, if you can see one',
            datatype: 'string',
            required: false,
          },
          {
            code: 'fault',
            text: 'What is wrong with it?',
            datatype: 'singlevaluelist',
            required: true,
            options: [
              { key: 'out', name: 'It is not lit at night' },
              { key: 'flickering', name: 'It flickers' },
              { key: 'day', name: 'It is on during the day' },
              {
                key: 'damaged',
                name: 'It is damaged or leaning',
                stop: 'If wires are exposed, call 0100 000 0000 now.',
              },
            ],
          },
        ],
      },
    },
    {
      code: 'fly-tipping',
      name: 'Fly-tipping',
      group: 'Streets and environment',
      description: 'Rubbish dumped illegally on public land',
      keywords: ['dumped', 'rubbish', 'waste', 'tipping'],
      isPublic: true,
      active: true,
      offeredBy: ['ashdown'],
      definition: {
        defaultBody: 'ashdown',
        defaultTeam: 'enforcement',
        timescale: { unit: 'working_days', amount: 3 },
        whatHappensNext: 'We will clear it within 3 working days and look for evidence of who dumped it.',
        questions: [
          {
            code: 'waste_type',
            text: 'What has been dumped?',
            datatype: 'multivaluelist',
            required: true,
            options: [
              { key: 'bags', name: 'Bags of rubbish' },
              { key: 'furniture', name: 'Furniture or mattresses' },
              { key: 'building', name: 'Building waste' },
              { key: 'hazardous', name: 'Chemicals, asbestos or needles' },
            ],
          },
          {
            code: 'evidence_notice',
            text: 'Do not touch or open anything dumped: it may be dangerous, and it may be evidence.',
            datatype: 'notice',
            required: false,
          },
        ],
      },
    },
    {
      code: 'missed-bin',
      name: 'Missed bin collection',
      group: 'Bins and recycling',
      description: 'Your bin was out on time but was not emptied',
      keywords: ['bin', 'collection', 'recycling', 'rubbish'],
      isPublic: false,
      active: true,
      offeredBy: ['ashdown'],
      definition: {
        defaultBody: 'ashdown',
        defaultTeam: 'waste',
        timescale: { unit: 'working_days', amount: 2 },
        whatHappensNext: 'We will collect it within 2 working days. Leave it out until then.',
        questions: [
          {
            code: 'bin',
            text: 'Which bin was missed?',
            datatype: 'singlevaluelist',
            required: true,
            options: [
              { key: 'general', name: 'General waste (black)' },
              { key: 'recycling', name: 'Recycling (blue)' },
              { key: 'garden', name: 'Garden waste (green)' },
              { key: 'food', name: 'Food waste (caddy)' },
            ],
          },
        ],
      },
    },
    {
      code: 'speeding',
      name: 'Speeding traffic',
      group: 'Roads and pavements',
      description: 'Vehicles regularly going too fast on a street',
      keywords: ['speed', 'traffic', 'cars', 'road safety'],
      isPublic: true,
      active: true,
      offeredBy: ['ashdown', 'little-wickham'],
      definition: {
        defaultBody: 'ashdown',
        defaultTeam: 'road-safety',
        timescale: { unit: 'working_days', amount: 20 },
        whatHappensNext:
          'We will review speeds at this location and tell you what we decide, within 20 working days.',
        questions: [
          {
            code: 'when',
            text: 'When does it happen most?',
            datatype: 'singlevaluelist',
            required: true,
            options: [
              { key: 'morning', name: 'Mornings' },
              { key: 'evening', name: 'Evenings' },
              { key: 'night', name: 'At night' },
              { key: 'all', name: 'All day' },
            ],
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
            options: [
              { key: '20', name: '20 mph' },
              { key: '30', name: '30 mph' },
              { key: '40', name: '40 mph or more' },
              { key: 'unknown', name: 'I do not know' },
            ],
          },
        ],
      },
    },
  ],
  routingRules: [
    {
      // The speeding example: the parish runs a Community Speedwatch on its residential roads by day,
      // away from schools; everything else is the borough's road safety team (the service default).
      service: 'speeding',
      position: 10,
      name: 'Community Speedwatch in Little Wickham',
      conditions: {
        areaKind: 'parish',
        areaCode: 'DEMO-P-LW',
        answers: [
          { question: 'speed_limit', operator: 'in', values: ['20', '30'] },
          { question: 'school', operator: 'equals', values: ['no'] },
          { question: 'when', operator: 'not_equals', values: ['night'] },
        ],
      },
      body: 'little-wickham',
      team: 'clerk',
      showContact: true,
      enabled: true,
    },
    {
      service: 'pothole',
      position: 10,
      name: 'Potholes out of hours go to the duty officer',
      conditions: { outOfHours: true },
      body: 'ashdown',
      team: 'out-of-hours',
      showContact: false,
      enabled: true,
    },
  ],
};

/**
 * Fictional streets and places for the demo's place search: each street a line of points (as a
 * street-tree or lamp-post file would give), all inside the demo council's boundary.
 */
export const demoStreets: { name: string; locality: string; from: [number, number]; to: [number, number] }[] =
  [
    { name: 'Ashdown High Street', locality: 'Ashdown', from: [-2.352, 53.447], to: [-2.338, 53.449] },
    { name: 'Mill Lane', locality: 'Ashdown', from: [-2.381, 53.452], to: [-2.372, 53.458] },
    { name: 'Church Road', locality: 'Eastbrook', from: [-2.31, 53.441], to: [-2.296, 53.446] },
    { name: 'Station Road', locality: 'Southfield', from: [-2.318, 53.418], to: [-2.305, 53.412] },
    { name: 'Wickham Green Lane', locality: 'Little Wickham', from: [-2.378, 53.409], to: [-2.366, 53.415] },
    { name: 'Orchard Close', locality: 'Little Wickham', from: [-2.372, 53.418], to: [-2.369, 53.421] },
  ];

export const demoPlaces: { name: string; locality: string; at: [number, number] }[] = [
  { name: 'Ashdown Park', locality: 'Ashdown', at: [-2.345, 53.455] },
  { name: 'Little Wickham Village Green', locality: 'Little Wickham', at: [-2.371, 53.412] },
  { name: 'Southfield Library', locality: 'Southfield', at: [-2.311, 53.415] },
];
