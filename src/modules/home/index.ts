/** The public start page and the site's standing pages (accessibility statement, privacy notice). */
import type { FastifyInstance } from 'fastify';

export default async function homeModule(app: FastifyInstance): Promise<void> {
  const { services } = app.domain;

  app.get('/', async (_request, reply) => {
    const groups = await services.groupedServices();
    return reply.view('home/views/start.njk', { groups });
  });

  app.get('/accessibility', async (_request, reply) => reply.view('home/views/accessibility.njk'));
  app.get('/privacy', async (_request, reply) => reply.view('home/views/privacy.njk'));
}
