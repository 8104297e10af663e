/**
 * The catalogue file: everything an admin configures (bodies, teams, calendars, services with their
 * questions, routing rules, site settings) as one JSON or YAML document, so a council can keep its
 * configuration in version control and move it between environments. Areas are not in it: boundaries
 * are large and come from their own GeoJSON files (`civicdesk import-areas`).
 */
import { Type, type Static } from 'typebox';

const Code = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
const Email = Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]);
const Text = (max: number) => Type.String({ maxLength: max });

export const CatalogueBody = Type.Object(
  {
    code: Code,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Type.Union([
      Type.Literal('county'),
      Type.Literal('district'),
      Type.Literal('unitary'),
      Type.Literal('metropolitan_borough'),
      Type.Literal('london_borough'),
      Type.Literal('parish'),
      Type.Literal('other'),
    ]),
    email: Type.Optional(Email),
    phone: Type.Optional(Type.Union([Text(50), Type.Null()])),
    website: Type.Optional(Type.Union([Type.String({ pattern: '^https?://', maxLength: 500 }), Type.Null()])),
    deliveryMethod: Type.Optional(
      Type.Union([
        Type.Literal('civicdesk'),
        Type.Literal('email'),
        Type.Literal('open311'),
        Type.Literal('webhook'),
      ]),
    ),
  },
  { additionalProperties: false },
);

export const CatalogueTeam = Type.Object(
  {
    body: Code,
    code: Code,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Email),
  },
  { additionalProperties: false },
);

export const CatalogueCalendar = Type.Object(
  {
    code: Code,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    timeZone: Type.String({ default: 'Europe/London', maxLength: 60 }),
    workingWeekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      minItems: 1,
      maxItems: 7,
      default: [1, 2, 3, 4, 5],
    }),
    opensAt: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '08:30' }),
    closesAt: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '17:00' }),
    bankHolidays: Type.Union([Type.Literal('england-and-wales'), Type.Literal('none')], {
      default: 'england-and-wales',
    }),
    closures: Type.Array(
      Type.Object(
        { date: Type.String({ format: 'date' }), name: Type.String({ minLength: 1, maxLength: 200 }) },
        { additionalProperties: false },
      ),
      { default: [], maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);

export const CatalogueService = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    group: Type.String({ maxLength: 200, default: '' }),
    description: Type.String({ maxLength: 2000, default: '' }),
    keywords: Type.Array(Type.String({ maxLength: 100 }), { default: [], maxItems: 50 }),
    isPublic: Type.Boolean({ default: true }),
    active: Type.Boolean({ default: true }),
    offeredBy: Type.Array(Code, { minItems: 1, maxItems: 20 }),
    /** Checked in full by the services module (questions, timescale, defaults). */
    definition: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);

export const CatalogueRule = Type.Object(
  {
    service: Type.Union([Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }), Type.Null()]),
    position: Type.Integer(),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    conditions: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
    body: Code,
    team: Type.Optional(Type.Union([Code, Type.Null()])),
    showContact: Type.Boolean({ default: false }),
    enabled: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export const Catalogue = Type.Object(
  {
    version: Type.Literal(1),
    settings: Type.Optional(
      Type.Object(
        {
          outsideAreaContact: Type.Optional(
            Type.Object(
              {
                message: Type.String({ minLength: 1, maxLength: 1000 }),
                url: Type.Optional(Type.String({ pattern: '^https?://' })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    bodies: Type.Array(CatalogueBody, { default: [] }),
    teams: Type.Array(CatalogueTeam, { default: [] }),
    calendars: Type.Array(CatalogueCalendar, { default: [] }),
    services: Type.Array(CatalogueService, { default: [] }),
    routingRules: Type.Array(CatalogueRule, { default: [] }),
  },
  { additionalProperties: false },
);

export type Catalogue = Static<typeof Catalogue>;
