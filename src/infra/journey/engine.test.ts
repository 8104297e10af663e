/**
 * The journey engine's request cycle, on a bare Fastify app with a two-step journey kept in memory:
 * pages, refusals with errors, saving and moving on, sending back to what is missing, skipping,
 * leaving, and the form whose session ran out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { FormErrors } from '../../lib/forms.js';
import { typed } from '../typed-routes.js';
import { defineStep, mountJourney, type JourneyChannel } from './engine.js';

interface Pet {
  name?: string;
  legs?: number;
  skipLegs?: boolean;
}

async function petJourney() {
  const saved: Pet[] = [];
  let state: Pet = {};
  const name = defineStep({
    name: 'name',
    body: Type.Object(
      { name: Type.Optional(Type.String({ maxLength: 20 })) },
      { additionalProperties: false },
    ),
    initial: (_ctx: null, pet: Pet) => ({ name: pet.name ?? '' }),
    typed: (_ctx, _pet, body) => ({ name: body.name ?? '' }),
    page: async (_ctx, _pet, form) => ({
      template: 'name',
      model: { ...form.values, errors: form.errors.summary },
    }),
    async apply(_ctx, pet, body) {
      if (body.name === 'stop') return { outcome: 'show', page: { template: 'stopped', model: {} } };
      if (body.name === 'away') return { outcome: 'leave', to: '/elsewhere', save: false };
      if (!body.name) {
        const errors = new FormErrors();
        errors.add('name', 'Enter a name');
        return { outcome: 'invalid', values: { name: '' }, errors };
      }
      pet.name = body.name;
      return { outcome: 'next' };
    },
    next: () => 'legs',
  });
  const legs = defineStep({
    name: 'legs',
    body: Type.Object({ legs: Type.Optional(Type.Integer({ minimum: 0, maximum: 8 })) }),
    initial: () => ({}),
    typed: () => ({}),
    restartWhenExpired: 'name',
    skip: async (_ctx: null, pet: Pet) => (pet.skipLegs ? 'name' : undefined),
    page: async () => ({ template: 'legs', model: {} }),
    async apply(_ctx, pet, body) {
      pet.legs = body.legs;
      return { outcome: 'next' };
    },
    next: () => 'name',
  });
  const channel: JourneyChannel<Pet, null> = {
    steps: [name, legs],
    route: (step) => `/pet/${step}`,
    shared: {},
    open: async () => ({ ctx: null, state }),
    save: async (_ctx, pet) => {
      state = { ...pet };
      saved.push(state);
    },
    path: (_ctx, step) => `/pet/${step}`,
    missing: async (_ctx, pet, step) => (step === 'legs' && !pet.name ? 'name' : undefined),
    render: (_ctx, reply, page) => reply.status(page.status).send({ template: page.template, ...page.model }),
  };
  const app = Fastify();
  app.decorateRequest('sessionExpired', false);
  app.addHook('preValidation', async (request) => {
    request.sessionExpired = request.headers['x-expired'] === 'yes';
  });
  mountJourney(typed(app), channel);
  await app.ready();
  return {
    app,
    saved,
    state: () => state,
    setState: (pet: Pet) => {
      state = pet;
    },
  };
}

describe('mountJourney', () => {
  it('shows a step with its values, refuses a bad form with its errors, and saves a good one before moving on', async () => {
    const { app, saved, state } = await petJourney();
    const shown = await app.inject({ method: 'GET', url: '/pet/name' });
    assert.equal(shown.statusCode, 200);
    assert.deepEqual(shown.json(), { template: 'name', name: '', errors: [] });

    const refused = await app.inject({ method: 'POST', url: '/pet/name', payload: { name: '' } });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json().errors, [{ text: 'Enter a name', href: '#name' }]);
    assert.equal(saved.length, 0);

    const taken = await app.inject({ method: 'POST', url: '/pet/name', payload: { name: 'Rex' } });
    assert.equal(taken.statusCode, 303);
    assert.equal(taken.headers.location, '/pet/legs');
    assert.deepEqual(state(), { name: 'Rex' });
    assert.equal(saved.length, 1);
  });

  it('refuses a body outside its schema before the step sees it', async () => {
    const { app, saved } = await petJourney();
    const long = await app.inject({ method: 'POST', url: '/pet/name', payload: { name: 'x'.repeat(21) } });
    assert.equal(long.statusCode, 400);
    assert.equal(saved.length, 0);
  });

  it('sends someone who jumped ahead back to the step still missing, on GET and POST', async () => {
    const { app, state } = await petJourney();
    assert.equal((await app.inject({ method: 'GET', url: '/pet/legs' })).headers.location, '/pet/name');
    const posted = await app.inject({ method: 'POST', url: '/pet/legs', payload: { legs: 4 } });
    assert.equal(posted.headers.location, '/pet/name');
    assert.equal(state().legs, undefined);
  });

  it('lets a step skip itself, saving what it decided', async () => {
    const { app, saved, setState } = await petJourney();
    setState({ name: 'Rex', skipLegs: true });
    const skipped = await app.inject({ method: 'GET', url: '/pet/legs' });
    assert.equal(skipped.statusCode, 303);
    assert.equal(skipped.headers.location, '/pet/name');
    assert.equal(saved.length, 1);
  });

  it('shows another page, or leaves the journey, as the step decides', async () => {
    const { app, saved } = await petJourney();
    const stopped = await app.inject({ method: 'POST', url: '/pet/name', payload: { name: 'stop' } });
    assert.equal(stopped.statusCode, 200);
    assert.equal(stopped.json().template, 'stopped');
    const left = await app.inject({ method: 'POST', url: '/pet/name', payload: { name: 'away' } });
    assert.equal(left.headers.location, '/elsewhere');
    assert.equal(saved.length, 0, 'a step that settled the state itself is not saved over');
  });

  it('shows a form whose session ran out again with what was typed, or starts the journey again', async () => {
    const { app, saved, setState } = await petJourney();
    const headers = { 'x-expired': 'yes' };
    const again = await app.inject({ method: 'POST', url: '/pet/name', headers, payload: { name: 'Rex' } });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { template: 'name', name: 'Rex', errors: [] });
    setState({ name: 'Rex' });
    const restart = await app.inject({ method: 'POST', url: '/pet/legs', headers, payload: { legs: 4 } });
    assert.equal(restart.headers.location, '/pet/name');
    assert.equal(saved.length, 0);
  });
});
