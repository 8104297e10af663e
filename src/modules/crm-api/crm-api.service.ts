/**
 * The JSON API for a council's CRM (Salesforce, Dynamics): read its body's cases, change their status,
 * post public updates and record the CRM's own id for a case.
 *
 * A CRM's API key is tied to one body: it sees and changes that body's cases only, and a case of another
 * body is "not found" (never "forbidden", which would say it exists). Changes go through
 * the case core (CasesService.update) with an integration actor, so they follow exactly an officer's rules
 * (closing needs a public update) and the resident is emailed in the same way; the timeline and audit say a system
 * made them, and which.
 *
 * The case as a CRM sees it is the same object the webhooks send (crmCaseView), so a CRM needs one
 * mapping for both.
 */
import type { Kysely } from 'kysely';
import type { CaseStatus, Database } from '../../db/database.js';
import { AppError, type FieldError } from '../../lib/errors.js';
import type { ApiClient } from '../api-clients/index.js';
import type { Actor, CaseSnapshot, CasesService } from '../cases/index.js';
import { STATUS_LABELS } from '../../lib/case-status.js';
import { crmCaseView } from '../webhooks/index.js';

export const CASE_STATUSES = Object.keys(STATUS_LABELS) as CaseStatus[];
export const MAX_PAGE = 200;

export interface CaseListQuery {
  updatedSince?: Date;
  status?: CaseStatus;
  serviceCode?: string;
  cursor?: string;
  limit: number;
}

/** Maps the case-work service's form field names onto the API's JSON pointers. */
const POINTERS: Record<string, string> = {
  publicUpdate: '/public_update',
  status: '/status',
  outcome: '/outcome',
};

export class CrmApiService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cases: CasesService,
    private readonly baseUrl: string,
  ) {}

  private bodyOf(client: ApiClient): string {
    if (!client.bodyId) {
      throw new AppError(
        'forbidden',
        'This API key is not tied to a body, so it cannot reach cases. Ask an administrator for a key for your body.',
      );
    }
    return client.bodyId;
  }

  private async caseRow(client: ApiClient, reference: string) {
    const bodyId = this.bodyOf(client);
    const row = await this.cases.byReference(reference.toUpperCase());
    if (!row || row.body_id !== bodyId)
      throw new AppError('not_found', 'There is no case with that reference');
    return row;
  }

  private view(snapshot: CaseSnapshot) {
    const view = crmCaseView(snapshot);
    return {
      ...view,
      status_label: STATUS_LABELS[snapshot.status],
      staff_url: `${this.baseUrl}/staff/cases/${snapshot.reference}`,
      public_url: snapshot.is_public ? `${this.baseUrl}/reports/${snapshot.reference}` : null,
    };
  }

  async list(client: ApiClient, query: CaseListQuery) {
    const bodyId = this.bodyOf(client);
    let after: { at: string; id: string } | undefined;
    if (query.cursor) {
      try {
        const [at, id] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as [
          string,
          string,
        ];
        if (typeof at !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
        after = { at, id };
      } catch {
        throw new AppError('bad_request', 'The cursor is not one this API gave out', [
          { field: '/cursor', message: 'Use next_cursor from the previous page as it was given' },
        ]);
      }
    }
    const rows = await this.cases.changedInBody(bodyId, {
      ...(query.updatedSince ? { updatedSince: query.updatedSince } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.serviceCode ? { serviceCode: query.serviceCode } : {}),
      ...(after ? { after } : {}),
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const cases = [];
    for (const row of page) {
      const snapshot = await this.cases.snapshot(row.id);
      if (snapshot) cases.push(this.view(snapshot));
    }
    const last = page.at(-1);
    return {
      cases,
      next_cursor:
        rows.length > query.limit && last
          ? Buffer.from(JSON.stringify([last.updated_text, last.id])).toString('base64url')
          : null,
    };
  }

  async get(client: ApiClient, reference: string) {
    const row = await this.caseRow(client, reference);
    const snapshot = (await this.cases.snapshot(row.id))!;
    const events = await this.cases.publicTimeline(this.db, row.id);
    return {
      ...this.view(snapshot),
      timeline: events.map((e) => ({ kind: e.kind, text: e.body, at: e.created_at.toISOString() })),
    };
  }

  private actor(client: ApiClient): Actor {
    return {
      id: client.id,
      name: client.name,
      role: 'officer',
      bodyId: this.bodyOf(client),
      teamId: null,
      integration: true,
    };
  }

  /** A status change, optionally with a public update: an officer's rules and emails. */
  async changeStatus(
    client: ApiClient,
    reference: string,
    input: { status: CaseStatus; publicUpdate?: string; outcome?: string },
  ) {
    await this.caseRow(client, reference);
    await this.apiErrors(() =>
      this.cases.update(this.actor(client), reference.toUpperCase(), {
        status: input.status,
        ...(input.publicUpdate !== undefined ? { publicUpdate: input.publicUpdate } : {}),
        ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
      }),
    );
    return this.get(client, reference);
  }

  async addPublicUpdate(client: ApiClient, reference: string, text: string) {
    await this.caseRow(client, reference);
    if (!text.trim()) {
      throw new AppError('validation_failed', 'Write the update', [
        { field: '/text', message: 'Write the update the resident will see' },
      ]);
    }
    await this.apiErrors(() =>
      this.cases.update(this.actor(client), reference.toUpperCase(), { publicUpdate: text }),
    );
    return this.get(client, reference);
  }

  async setExternalReference(client: ApiClient, reference: string, externalReference: string) {
    const row = await this.caseRow(client, reference);
    const value = externalReference.trim();
    if (!value) {
      throw new AppError('validation_failed', 'Give the CRM’s reference for the case', [
        { field: '/external_reference', message: 'Give the CRM’s reference for the case' },
      ]);
    }
    await this.cases.setExternalReference({ id: client.id, name: client.name }, row.id, value);
    return this.get(client, reference);
  }

  private async apiErrors(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (error instanceof AppError && error.fieldErrors.length) {
        const fields: FieldError[] = error.fieldErrors.map((f) => ({
          field: POINTERS[f.field] ?? `/${f.field}`,
          message: f.message,
        }));
        throw new AppError(error.code, error.message, fields);
      }
      throw error;
    }
  }
}
