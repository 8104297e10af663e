import { configFrom, UsageError, withDatabase, type CliCommand } from '../../cli/command.js';
import { buildDomain } from '../../domain.js';

export const routeCommand: CliCommand = {
  name: 'route',
  summary: 'Show where a report would go: areas found, the rule that fired, body, team, contact, due date.',
  usage: 'civicdesk route --lat LAT --lon LON --service CODE [--answer code=value ...] [--at ISO-TIME]',
  details: `The routing test bench on the command line. Prints the decision as JSON: the areas containing the
point, every rule tried and why it did or did not fire, and the outcome. Repeat --answer for each
answer; give several values for one question separated by commas.`,
  options: {
    lat: { type: 'string', description: 'latitude (WGS84), e.g. 53.4251' },
    lon: { type: 'string', description: 'longitude (WGS84), e.g. -2.3382' },
    service: { type: 'string', description: 'the service code, e.g. pothole' },
    answer: { type: 'string', multiple: true, description: 'an answer as code=value' },
    at: { type: 'string', description: 'when it is reported (default now), e.g. 2026-11-21T22:00:00Z' },
  },
  async run({ values, env }) {
    const lat = Number(values.lat);
    const lon = Number(values.lon);
    if (typeof values.lat !== 'string' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
      throw new UsageError('--lat must be a latitude between -90 and 90');
    }
    if (typeof values.lon !== 'string' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
      throw new UsageError('--lon must be a longitude between -180 and 180');
    }
    if (typeof values.service !== 'string' || !values.service) throw new UsageError('--service is required');
    const answers: Record<string, string | string[]> = {};
    for (const pair of (values.answer ?? []) as string[]) {
      const match = /^([a-z][a-z0-9_]*)=(.*)$/.exec(pair);
      if (!match) throw new UsageError(`--answer "${pair}" must look like code=value`);
      const parts = match[2]!
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      answers[match[1]!] = parts.length === 1 ? parts[0]! : parts;
    }
    let at: Date | undefined;
    if (typeof values.at === 'string') {
      at = new Date(values.at);
      if (Number.isNaN(at.getTime()))
        throw new UsageError('--at must be a date and time, e.g. 2026-11-21T22:00:00Z');
    }
    const result = await withDatabase(configFrom(env), ({ db }) =>
      buildDomain(db).routing.route({
        lat,
        lon,
        serviceCode: values.service as string,
        answers,
        ...(at ? { at } : {}),
      }),
    );
    console.log(JSON.stringify(describe(result), null, 2));
    return result.outcome === 'routed' ? 0 : 3;
  },
};

/** The decision as plain JSON: codes and names rather than whole records. */
function describe(result: Awaited<ReturnType<ReturnType<typeof buildDomain>['routing']['route']>>) {
  const areas = result.areas.map((a) => ({
    kind: a.kind,
    code: a.code,
    name: a.name,
    onBoundary: a.onBoundary,
  }));
  switch (result.outcome) {
    case 'routed':
      return {
        outcome: 'routed',
        service: result.service.code,
        areas,
        rule:
          result.decidedBy.kind === 'rule'
            ? { name: result.decidedBy.name, position: result.decidedBy.position }
            : null,
        decidedBy: result.decidedBy.kind === 'rule' ? 'rule' : 'service default',
        body: { code: result.body.code, name: result.body.name },
        team: result.team ? { code: result.team.code, name: result.team.name } : null,
        contact: result.contact,
        outOfHours: result.outOfHours,
        dueAt: result.dueAt.toISOString(),
        timescale: result.timescale,
        trace: result.trace,
      };
    case 'outside':
      return { outcome: 'outside', areas, message: result.contact.message, url: result.contact.url };
    case 'stop':
      return { outcome: 'stop', service: result.service.code, areas, message: result.message };
    case 'not_offered':
      return {
        outcome: 'not_offered',
        service: result.service.code,
        areas,
        reason: result.reason,
        servicesHere: result.servicesHere,
      };
    case 'unknown_service':
      return { outcome: 'unknown_service', service: result.serviceCode, areas };
  }
}
