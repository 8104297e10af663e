/**
 * `civicdesk staff create`: how a new installation gets its first administrator (after that, admins add
 * people at /admin/people, which invites them by email). The password is generated and shown once; an
 * administrator sets up an authenticator app at first sign-in.
 */
import crypto from 'node:crypto';
import { configFrom, UsageError, withDatabase, type CliCommand } from '../../cli/command.js';
import type { StaffRole } from '../../db/database.js';
import { buildDomain } from '../../domain.js';
import { looksLikeEmail } from '../contacts/index.js';
import { createStaffAccount } from './create-staff.js';

const ROLES: StaffRole[] = ['agent', 'officer', 'team_lead', 'admin'];

export const staffCommand: CliCommand = {
  name: 'staff',
  summary: 'Add a member of staff (for example the first administrator) and print their password once.',
  usage:
    'civicdesk staff create --email EMAIL --name NAME --role admin|team_lead|officer|agent --body CODE [--team CODE]',
  details: `Creates a staff account in the body with that code (see civicdesk catalogue export), in a team of
that body if given. A random password is printed once: pass it on safely; they can change it at
/staff/account. Administrators must set up an authenticator app when they first sign in.`,
  options: {
    email: { type: 'string', description: 'their work email address (their sign-in)' },
    name: { type: 'string', description: 'their full name' },
    role: { type: 'string', description: `one of ${ROLES.join(', ')}` },
    body: { type: 'string', description: 'the code of the body they work for' },
    team: { type: 'string', description: 'the code of their team in that body (optional)' },
  },
  async run({ values, positionals, env }) {
    if (positionals[0] !== 'create') throw new UsageError('say create');
    const email = typeof values.email === 'string' ? values.email.trim().toLowerCase() : '';
    const name = typeof values.name === 'string' ? values.name.trim() : '';
    const role = values.role as StaffRole;
    if (!looksLikeEmail(email)) throw new UsageError('--email must be an email address');
    if (!name) throw new UsageError('--name is required');
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    if (typeof values.body !== 'string') throw new UsageError('--body is required');
    const password = crypto.randomBytes(15).toString('base64url');
    return withDatabase(configFrom(env), async ({ db }) => {
      const created = await createStaffAccount(db, buildDomain(db).organisations, {
        email,
        name,
        role,
        bodyCode: values.body as string,
        ...(typeof values.team === 'string' ? { teamCode: values.team } : {}),
        password,
      });
      if (created.outcome === 'refused') {
        if (created.reason !== 'email_taken') throw new UsageError(created.message);
        console.error(created.message);
        return 1;
      }
      const { body, team } = created;
      console.log(
        `Created ${role} ${name} <${email}> in ${body.name}${team ? `, ${team.name}` : ''}.\n` +
          `Their password, shown only now: ${password}\n` +
          (role === 'admin' ? 'They will set up an authenticator app when they first sign in.\n' : ''),
      );
      return 0;
    });
  },
};
