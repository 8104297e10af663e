/**
 * /dev/mail: the emails the file mailbox has "sent", so someone trying Civicdesk with no SMTP server
 * sees what residents and staff would receive. Registered only outside production.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { Type } from 'typebox';
import { AppError } from '../../lib/errors.js';
import { FileMailer } from '../../infra/mailer/mailer.js';
import { buttonForm, typed } from '../../infra/typed-routes.js';

const EML_NAME = /^[0-9TZ-]+-[0-9a-f]{8}\.eml$/;

export default async function devMailboxModule(instance: FastifyInstance): Promise<void> {
  const app = typed(instance);
  const mailer = app.mailer;
  const folder = mailer instanceof FileMailer ? mailer.folder : undefined;

  async function listFiles(): Promise<string[]> {
    if (!folder) return [];
    try {
      return (await fs.readdir(folder))
        .filter((name) => EML_NAME.test(name))
        .sort()
        .reverse();
    } catch {
      return [];
    }
  }

  async function readMessage(name: string) {
    if (!folder || !EML_NAME.test(name)) throw new AppError('not_found');
    try {
      return await simpleParser(await fs.readFile(path.join(folder, name)));
    } catch {
      throw new AppError('not_found');
    }
  }

  app.get('/dev/mail', async (request, reply) => {
    await request.ensureSession(); // for the "delete all" form's CSRF token
    const files = (await listFiles()).slice(0, 200);
    const messages = await Promise.all(
      files.map(async (name) => {
        const parsed = await readMessage(name);
        return { name, subject: parsed.subject ?? '(no subject)', to: parsed.to, date: parsed.date };
      }),
    );
    const rows = messages.map((m) => [
      { html: `<a class="govuk-link" href="/dev/mail/${m.name}">${escapeHtml(m.subject)}</a>` },
      { text: Array.isArray(m.to) ? m.to.map((a) => a.text).join(', ') : (m.to?.text ?? '') },
      { text: m.date ? m.date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '' },
    ]);
    return reply.view('dev-mailbox/views/list.njk', { rows, mailerKind: mailer.kind, folder });
  });

  app.post('/dev/mail/clear', { schema: { body: buttonForm } }, async (_request, reply) => {
    for (const name of await listFiles()) await fs.rm(path.join(folder!, name), { force: true });
    return reply.redirect('/dev/mail', 303);
  });

  app.get(
    '/dev/mail/:name',
    { schema: { params: Type.Object({ name: Type.String({ maxLength: 100 }) }) } },
    async (request, reply) => {
      const { name } = request.params;
      const message = await readMessage(name);
      const headers = [...message.headers.entries()]
        .filter(([key]) => !['content-type', 'mime-version', 'content-transfer-encoding'].includes(key))
        .map(([key, value]) => ({
          key: { text: key },
          value: {
            text:
              typeof value === 'string'
                ? value
                : ((value as { text?: string }).text ?? JSON.stringify(value)),
          },
        }));
      return reply.view('dev-mailbox/views/message.njk', {
        name,
        subject: message.subject ?? '(no subject)',
        headers,
        text: message.text ?? '',
        hasHtml: Boolean(message.html),
      });
    },
  );

  // The HTML part, served on its own with a sandboxing CSP: email HTML is never trusted.
  app.get(
    '/dev/mail/:name/html',
    { schema: { params: Type.Object({ name: Type.String({ maxLength: 100 }) }) } },
    async (request, reply) => {
      const { name } = request.params;
      const message = await readMessage(name);
      if (!message.html) throw new AppError('not_found');
      return reply
        .header(
          'content-security-policy',
          "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
        )
        .type('text/html; charset=utf-8')
        .send(message.html);
    },
  );
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
