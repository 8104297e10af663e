/**
 * Admin: the catalogue file, the whole configuration as one JSON or YAML document (ADR 0006).
 *
 *   GET  /admin/catalogue                      the page: download, or paste a file to check or import
 *   GET  /admin/catalogue/export?format=       the file, as JSON or YAML
 *   POST /admin/catalogue                      check (dry run) or import a pasted file: all or nothing
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { adminForm, boundedField, boundedText } from '../../infra/admin/index.js';
import { asText, FormErrors } from '../../lib/forms.js';
import { CatalogueInvalidError, CatalogueService, parseCatalogueText } from './catalogue.service.js';

const exportQuery = Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('yaml')]) });
/** The whole request may be 1 MB (bodyLimit), so the pasted file may be nearly that. */
const catalogueForm = adminForm({ action: boundedField, catalogue: boundedText(1024 * 1024) });

export const catalogueAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { domain } = app;
  const render = app.renderAdminPage;

  // ---------------------------------------------------------------- catalogue
  app.get('/admin/catalogue', async (request, reply) =>
    render(request, reply, 'catalogue/views/catalogue.njk', { values: {} }),
  );

  app.get(
    '/admin/catalogue/export',
    {
      schema: { querystring: exportQuery },
    },
    async (request, reply) => {
      const { format } = request.query;
      const text = CatalogueService.toText(await domain.catalogue.export(), format);
      return reply
        .type(format === 'json' ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="civicdesk-catalogue.${format}"`)
        .send(text);
    },
  );

  app.post('/admin/catalogue', { schema: { body: catalogueForm } }, async (request, reply) => {
    const body = request.body;
    const text = typeof body.catalogue === 'string' ? body.catalogue : '';
    const dryRun = asText(body.action) !== 'import';
    const errors = new FormErrors();
    let problems: string[] = [];
    let summary: unknown;
    if (!text.trim()) errors.add('catalogue', 'Paste the contents of a catalogue file (JSON or YAML)');
    else {
      try {
        summary = await domain.catalogue.import(parseCatalogueText(text), { dryRun });
      } catch (error) {
        if (!(error instanceof CatalogueInvalidError)) throw error;
        problems = error.problems;
        errors.add(
          'catalogue',
          `The catalogue has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was changed`,
        );
      }
    }
    if (!errors.any && !dryRun) request.log.info({ staffId: request.staff?.id }, 'catalogue imported');
    reply.status(errors.any ? 400 : 200);
    return render(request, reply, 'catalogue/views/catalogue.njk', {
      values: { catalogue: text },
      problems,
      summary,
      dryRun,
      ...errors.view(),
    });
  });
};
