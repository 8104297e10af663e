/**
 * Response templates: the words officers start a public update from ("We have inspected the problem
 * and booked a repair for {{due_date}}"), edited by admins. Placeholders are the email templates'
 * (`{{name}}`, no logic); an unknown one is refused when the template is saved, so an officer never sends
 * a resident a gap. Filling happens when the officer picks a template, and the officer edits the text
 * before sending it: a template is a starting point, not an automatic message.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { fillTemplate, PLACEHOLDER } from '../../lib/email-template.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import { audit } from '../audit/index.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import * as repo from './response-templates.repository.js';

export const RESPONSE_PLACEHOLDERS = {
  reference: 'the case’s reference, like TRF-46SY-MZDB',
  service: 'what was reported, like Pothole',
  location: 'where, in words',
  status: 'the case’s status now',
  due_date: 'when the resident was told to expect a response',
  officer_name: 'your name',
  council: 'the council’s name',
  today: 'today’s date',
  track_url: 'the link to the report’s public page',
} as const;

export type ResponsePlaceholder = keyof typeof RESPONSE_PLACEHOLDERS;

export interface ResponseTemplate {
  id: string;
  name: string;
  body: string;
  setsStatus: CaseStatus | null;
}

export interface ResponseTemplateInput {
  name: string;
  body: string;
  setsStatus: string;
}

export interface TemplateAdmin {
  id: string;
  role: string;
  ip?: string;
}

const NAME_MAX = 100;
const BODY_MAX = 5000;

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

export class ResponseTemplatesService {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<ResponseTemplate[]> {
    return repo.listTemplates(this.db);
  }

  async get(id: string): Promise<ResponseTemplate | undefined> {
    if (!isUuid(id)) return undefined;
    return repo.findTemplate(this.db, id);
  }

  /** The template's text for this case and officer, ready to edit. */
  fill(template: ResponseTemplate, values: Record<ResponsePlaceholder, string>): string {
    return fillTemplate(template.body, values).text;
  }

  /** Adds (no id) or changes a template. Problems come back as field errors. */
  async save(actor: TemplateAdmin, id: string | undefined, input: ResponseTemplateInput): Promise<string> {
    requireAdmin(actor);
    if (id && !(await this.get(id))) throw new AppError('not_found', 'There is no such response template');
    const name = input.name.trim();
    const body = input.body.replace(/\r\n?/g, '\n').trim();
    const problems: FieldError[] = [];
    if (!name) problems.push({ field: 'name', message: 'Enter a name for the template' });
    else if (name.length > NAME_MAX)
      problems.push({ field: 'name', message: `The name must be ${NAME_MAX} characters or fewer` });
    if (!body) problems.push({ field: 'body', message: 'Enter the text of the update' });
    else if (body.length > BODY_MAX)
      problems.push({ field: 'body', message: 'The text must be 5,000 characters or fewer' });
    else {
      const unknown = [...body.matchAll(PLACEHOLDER)]
        .map((m) => m[1]!)
        .filter((p) => !(p in RESPONSE_PLACEHOLDERS));
      if (unknown.length) {
        problems.push({
          field: 'body',
          message: `Remove or correct {{${unknown[0]}}}: the placeholders you can use are ${Object.keys(
            RESPONSE_PLACEHOLDERS,
          )
            .map((p) => `{{${p}}}`)
            .join(', ')}`,
        });
      }
    }
    const setsStatus = input.setsStatus ? (input.setsStatus as CaseStatus) : null;
    if (setsStatus && !(setsStatus in STATUS_LABELS))
      problems.push({ field: 'setsStatus', message: 'Choose a status from the list' });
    if (problems.length) throw new AppError('validation_failed', 'There is a problem', problems);

    const values = { name, body, setsStatus };
    try {
      return await this.db.transaction().execute(async (trx) => {
        const savedId = id
          ? await repo.updateTemplate(trx, id, values)
          : await repo.insertTemplate(trx, values);
        await audit(trx, {
          staffId: actor.id,
          action: id ? 'response_template.changed' : 'response_template.added',
          detail: { templateId: savedId, name },
          ...(actor.ip ? { ip: actor.ip } : {}),
        });
        return savedId;
      });
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      throw new AppError('validation_failed', 'There is a problem', [
        { field: 'name', message: 'There is already a template with this name: choose another' },
      ]);
    }
  }

  async remove(actor: TemplateAdmin, id: string): Promise<void> {
    requireAdmin(actor);
    const template = await this.get(id);
    if (!template) throw new AppError('not_found', 'There is no such response template');
    await this.db.transaction().execute(async (trx) => {
      await repo.deleteTemplate(trx, id);
      await audit(trx, {
        staffId: actor.id,
        action: 'response_template.deleted',
        detail: { templateId: id, name: template.name },
        ...(actor.ip ? { ip: actor.ip } : {}),
      });
    });
  }
}

function requireAdmin(actor: TemplateAdmin): void {
  if (actor.role !== 'admin')
    throw new AppError('forbidden', 'Only administrators change response templates');
}
