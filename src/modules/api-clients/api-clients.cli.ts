import { configFrom, UsageError, withDatabase, type CliCommand } from '../../cli/command.js';
import { buildDomain } from '../../domain.js';
import { ApiClientsService, SCOPES, type Scope } from './api-clients.service.js';

export const apiClientCommand: CliCommand = {
  name: 'api-client',
  summary: 'Create, list or revoke keys for systems that call the JSON API or Open311.',
  usage:
    'civicdesk api-client create --name NAME [--scope reports:write ...] [--service CODE ...] [--body CODE] [--open311-tokens] [--rate-limit N]\n' +
    '       civicdesk api-client list\n       civicdesk api-client revoke PREFIX',
  details: `create prints the new key once: store it in the other system, it cannot be shown again. With no
--service the client may report to every service. Scopes: ${SCOPES.join(', ')} (default reports:write).
A CRM's key (cases:read, cases:write) needs --body: it reaches that body's cases only.
An Open311 client (FixMyStreet) needs reports:write to POST requests, or open311:write to POST requests
and servicerequestupdates; --open311-tokens answers its POST requests with a token (batch style).
revoke stops a key working at once; PREFIX is the part after "cdk_" shown by list.`,
  options: {
    name: { type: 'string', description: 'who the key is for, e.g. "FixMyStreet"' },
    scope: { type: 'string', multiple: true, description: `a permission: ${SCOPES.join(' or ')}` },
    service: { type: 'string', multiple: true, description: 'a service code the client may report to' },
    body: { type: 'string', description: 'the body whose cases a CRM key reaches, e.g. ashdown' },
    'open311-tokens': { type: 'boolean', description: 'Open311: answer POST requests with a token' },
    'rate-limit': { type: 'string', description: 'Open311 requests a minute this client may make' },
  },
  async run({ values, positionals, env }) {
    const [action, prefix] = positionals;
    const config = configFrom(env);
    return withDatabase(config, async ({ db }) => {
      const domain = buildDomain(db);
      const clients = new ApiClientsService(db, domain);
      if (action === 'create') {
        if (typeof values.name !== 'string' || !values.name.trim())
          throw new UsageError('--name is required');
        const scopes = ((values.scope as string[] | undefined) ?? ['reports:write']) as Scope[];
        const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
        if (unknown.length) throw new UsageError(`unknown scope ${unknown.join(', ')}`);
        let bodyId: string | null = null;
        if (typeof values.body === 'string') {
          const body = (await domain.organisations.bodies()).find((b) => b.code === values.body);
          if (!body) throw new UsageError(`there is no body "${values.body}"`);
          bodyId = body.id;
        }
        if (scopes.some((s) => s.startsWith('cases:')) && !bodyId)
          throw new UsageError('a key with a cases: scope needs --body CODE');
        let rateLimitPerMinute: number | null = null;
        if (typeof values['rate-limit'] === 'string') {
          rateLimitPerMinute = Number(values['rate-limit']);
          if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 1 || rateLimitPerMinute > 100_000)
            throw new UsageError('--rate-limit must be a whole number from 1 to 100000');
        }
        const { client, key } = await clients.create({
          rateLimitPerMinute,
          name: values.name,
          scopes,
          serviceCodes: (values.service as string[] | undefined) ?? [],
          bodyId,
          open311Tokens: values['open311-tokens'] === true,
        });
        console.log(
          `Created API client "${client.name}" (prefix ${client.keyPrefix}). Its key, shown only now:\n\n  ${key}\n`,
        );
        return 0;
      }
      if (action === 'list') {
        for (const c of await clients.list()) {
          console.log(
            `${c.keyPrefix}  ${c.revokedAt ? 'revoked' : 'active '}  ${c.name}  scopes: ${c.scopes.join(', ') || '-'}  services: ${c.serviceCodes.join(', ') || 'all'}${c.open311Tokens ? '  open311: tokens' : ''}`,
          );
        }
        return 0;
      }
      if (action === 'revoke') {
        if (!prefix) throw new UsageError('name the key prefix to revoke');
        const revoked = await clients.revoke(prefix);
        console.log(revoked ? `Revoked ${prefix}.` : `No active key with prefix ${prefix}.`);
        return revoked ? 0 : 1;
      }
      throw new UsageError('say create, list or revoke');
    });
  },
};
