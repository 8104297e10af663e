/**
 * One engine for multi-step forms ("journeys") in every channel: the resident's report on the web, the
 * agent's report taken over the phone, and whatever channel comes next (issue #11).
 *
 * A journey is data: a list of steps. Each step has a bounded TypeBox body schema, a page builder (the
 * view model of its template), `apply` (validate the posted form and update the journey's state) and
 * `next` (which step follows, decided from the state). A channel is configuration: where its steps live,
 * how its state is kept (one session key per journey), how a page is rendered, and what each step needs
 * before it can be shown. The engine owns the request cycle every step shares, so no route handler
 * repeats it:
 *
 * - GET: open the journey, send the user back to the first step still missing, let the step skip itself
 *   (nothing to ask), show the page with the values the state already holds;
 * - POST: the same checks; a form whose session ran out is shown again with what was typed; otherwise
 *   `apply` either refuses (the page again with the GOV.UK error summary, 400) or updates the state, which
 *   is saved before a 303 to the next step. Post/redirect/get throughout: it all works without JavaScript.
 *
 * Knows no feature: no services, no reports, no database.
 */
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { FormErrors } from '../../lib/forms.js';
import type { TypedApp } from '../typed-routes.js';

/** A page to show: a template of the channel and its view model. */
export interface StepPage {
  template: string;
  model: Record<string, unknown>;
  /** The status to answer with, when the page decides it itself (otherwise 400 when errors show). */
  status?: number;
}

/** What a step's page shows in its fields, and what is wrong with them. */
export interface StepForm {
  values: Record<string, unknown>;
  errors: FormErrors;
  /** The session ran out while the form was filled in: it is shown again, with what was typed. */
  expired: boolean;
}

/** What `apply` decided about a posted form. */
export type StepResult =
  /** The state is updated: save it and go to the step `next` picks. */
  | { outcome: 'next' }
  /** Refused: show the page again with these values and errors (400). */
  | { outcome: 'invalid'; values: Record<string, unknown>; errors: FormErrors }
  /** Show another page instead, leaving the state as it was (a service's "stop" message). */
  | { outcome: 'show'; page: StepPage }
  /**
   * Leave the journey for another address (sent, or following a report instead), saving the state first
   * unless `save` is false: the step has already settled what the session keeps (a finished phone report).
   */
  | { outcome: 'leave'; to: string; save?: boolean };

/** Any GET query a step reads; most read none. */
export type NoQuery = TSchema;

export interface JourneyStep<State, Ctx, Body extends TSchema = TSchema, Query extends TSchema = NoQuery> {
  name: string;
  /** The posted form: every string with a maxLength, every list with maxItems. */
  body: Body;
  /** The query string of the GET page, if it reads one. */
  query?: Query;
  /** The values the page opens with (from the state, or the query string). */
  initial(ctx: Ctx, state: State, query: Static<Query>): Record<string, unknown>;
  /** What was typed, shown again when the session expired before the form could be applied. */
  typed(ctx: Ctx, state: State, body: Static<Body>): Record<string, unknown>;
  /** Before the page is shown: another step to go to instead (nothing to ask); may update the state. */
  skip?(ctx: Ctx, state: State): Promise<string | undefined>;
  /** Showing the page changes the state (the check page marks itself reached): true to save it. */
  opened?(state: State): boolean;
  page(ctx: Ctx, state: State, form: StepForm): Promise<StepPage>;
  apply(ctx: Ctx, state: State, body: Static<Body>): Promise<StepResult>;
  /** The step after this one, from the state as `apply` left it (a step name the channel has a path for). */
  next(ctx: Ctx, state: State): string | Promise<string>;
  /** A form sent after the session expired goes to this step instead of being shown again. */
  restartWhenExpired?: string;
}

/** A journey in progress, or where to send someone who has none. */
export type Opened<State, Ctx> = { ctx: Ctx; state: State } | { redirect: string };

export interface JourneyChannel<State, Ctx> {
  steps: readonly JourneyStep<State, Ctx>[];
  /** The route pattern of a step, e.g. `/report/where` or `/staff/contacts/:id/report/where`. */
  route(step: string): string;
  /** What every step's routes share: the params schema of the route pattern, a guard, limits. */
  shared: {
    params?: TSchema;
    preHandler?: preHandlerHookHandler;
    config?: Record<string, unknown>;
  };
  open(request: FastifyRequest): Promise<Opened<State, Ctx>>;
  save(ctx: Ctx, state: State): Promise<void>;
  /** The address of a step of this journey (it may hold the journey's own ids). */
  path(ctx: Ctx, step: string): string;
  /** The first step this one needs and the state still lacks, if any: the user is sent back there. */
  missing?(ctx: Ctx, state: State, step: string): Promise<string | undefined>;
  render(ctx: Ctx, reply: FastifyReply, page: StepPage & { status: number }): unknown;
}

/** Registers a GET and a POST route for every step of the channel's journey. */
export function mountJourney<State, Ctx>(app: TypedApp, channel: JourneyChannel<State, Ctx>): void {
  const { params, preHandler, config } = channel.shared;
  const options = { ...(preHandler ? { preHandler } : {}), ...(config ? { config } : {}) };

  for (const step of channel.steps) {
    const show = async (ctx: Ctx, reply: FastifyReply, state: State, form: StepForm) => {
      const page = await step.page(ctx, state, form);
      const status = page.status ?? (form.errors.any && !form.expired ? 400 : 200);
      return channel.render(ctx, reply, { ...page, status });
    };

    /** The journey, or the redirect that replaces the page: no journey, or an earlier step missing. */
    const openAt = async (request: FastifyRequest): Promise<Opened<State, Ctx>> => {
      const opened = await channel.open(request);
      if ('redirect' in opened) return opened;
      const back = await channel.missing?.(opened.ctx, opened.state, step.name);
      return back ? { redirect: channel.path(opened.ctx, back) } : opened;
    };

    app.get(
      channel.route(step.name),
      {
        ...options,
        schema: { ...(params ? { params } : {}), ...(step.query ? { querystring: step.query } : {}) },
      },
      async (request, reply) => {
        const opened = await openAt(request);
        if ('redirect' in opened) return reply.redirect(opened.redirect, 303);
        const { ctx, state } = opened;
        const elsewhere = await step.skip?.(ctx, state);
        if (elsewhere) {
          await channel.save(ctx, state);
          return reply.redirect(channel.path(ctx, elsewhere), 303);
        }
        if (step.opened?.(state)) await channel.save(ctx, state);
        const values = step.initial(ctx, state, request.query);
        return show(ctx, reply, state, { values, errors: new FormErrors(), expired: false });
      },
    );

    app.post(
      channel.route(step.name),
      { ...options, schema: { ...(params ? { params } : {}), body: step.body } },
      async (request, reply) => {
        const opened = await openAt(request);
        if ('redirect' in opened) return reply.redirect(opened.redirect, 303);
        const { ctx, state } = opened;
        if (request.sessionExpired) {
          if (step.restartWhenExpired) return reply.redirect(channel.path(ctx, step.restartWhenExpired), 303);
          const values = step.typed(ctx, state, request.body);
          return show(ctx, reply, state, { values, errors: new FormErrors(), expired: true });
        }
        const result = await step.apply(ctx, state, request.body);
        switch (result.outcome) {
          case 'invalid':
            return show(ctx, reply, state, { values: result.values, errors: result.errors, expired: false });
          case 'show':
            return channel.render(ctx, reply, { ...result.page, status: result.page.status ?? 200 });
          case 'leave':
            if (result.save !== false) await channel.save(ctx, state);
            return reply.redirect(result.to, 303);
          case 'next':
            await channel.save(ctx, state);
            return reply.redirect(channel.path(ctx, await step.next(ctx, state)), 303);
        }
      },
    );
  }
}

/** Declares a step, keeping its body and query types for its own functions while it joins a list of steps. */
export function defineStep<State, Ctx, Body extends TSchema, Query extends TSchema = NoQuery>(
  step: JourneyStep<State, Ctx, Body, Query>,
): JourneyStep<State, Ctx> {
  return step as unknown as JourneyStep<State, Ctx>;
}
