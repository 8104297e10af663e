/** The public start page and the site's standing pages (accessibility statement, privacy notice). */
import type { FastifyInstance } from 'fastify';
import { ServicesService } from '../services/services.service.js';

export default async function homeModule(app: FastifyInstance): Promise<void> {
  const services = new ServicesService(app.db);

  app.get('/', async (_request, reply) => {
    const groups = await services.groupedServices();
    return reply.view('home/views/start.njk', { groups });
  });

  app.get('/accessibility', async (_request, reply) => reply.view('home/views/accessibility.njk'));
  app.get('/privacy', async (_request, reply) => reply.view('home/views/privacy.njk'));
}
