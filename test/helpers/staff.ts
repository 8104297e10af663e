/**
 * Staff second factors for tests, as a person with an authenticator app would use them: TestBrowser and
 * the browser specs set up TOTP when sign-in asks for it (reading the setup key from the page, as a
 * person types it into an app) and answer the code step with a code computed from that key.
 *
 * Replay protection refuses a code from a time step already used, and tests sign in far more often than
 * once per 30 seconds. So for each app and account this remembers the key, the last step used and the
 * recovery codes, and answers with the next unused step the server accepts (one step either side of now),
 * then with recovery codes, and only then waits for the clock to reach a new step.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS, totpCode, totpStep } from '../../src/modules/staff/totp.js';

export interface KnownFactor {
  secret: string;
  lastStep: number;
  recoveryCodes: string[];
}

const factors = new WeakMap<FastifyInstance, Map<string, KnownFactor>>();

/** What tests know about an account's second factor on this app (undefined until it was set up here). */
export function knownFactor(app: FastifyInstance, email: string): KnownFactor | undefined {
  return factors.get(app)?.get(email.toLowerCase());
}

export function rememberFactor(app: FastifyInstance, email: string, factor: KnownFactor): void {
  let byEmail = factors.get(app);
  if (!byEmail) factors.set(app, (byEmail = new Map()));
  byEmail.set(email.toLowerCase(), factor);
}

/**
 * The step to confirm a set-up with: the one before now, which the server still accepts, so that this
 * step and the next are left for the sign-ins that follow. Not in a step's last seconds, though, or the
 * code may be two steps old by the time the server checks it.
 */
export async function setUpStep(): Promise<number> {
  if (Date.now() % (TOTP_PERIOD_SECONDS * 1000) > (TOTP_PERIOD_SECONDS - 3) * 1000) await sleep(3500);
  return totpStep(new Date()) - 1;
}

/** The setup key shown on the set-up page, without its spaces. */
export function setupKeyFrom(html: string): string {
  const match = /id="totp-secret">([^<]+)</.exec(html);
  if (!match) throw new Error('no setup key on the page');
  return match[1]!.replace(/\s+/g, '');
}

/** The recovery codes on the page that shows them. */
export function recoveryCodesFrom(html: string): string[] {
  return [...html.matchAll(/<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})<\/code><\/li>/g)].map(
    (m) => m[1]!,
  );
}

export type SecondFactorAnswer =
  { kind: 'code'; value: string; step: number } | { kind: 'recovery'; value: string };

/**
 * Tries answers until `submit` accepts one: codes for unused steps the server accepts now, then recovery
 * codes, then (rarely) a code for the next step once the clock reaches it. `submit` returns true if the
 * answer was accepted, false if it was refused as already used or wrong.
 */
export async function answerSecondFactor(
  factor: KnownFactor,
  submit: (answer: SecondFactorAnswer) => Promise<boolean>,
  { recoveryCodes = true }: { recoveryCodes?: boolean } = {},
): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = totpStep(new Date());
    for (
      let step = Math.max(now - TOTP_WINDOW_STEPS, factor.lastStep + 1);
      step <= now + TOTP_WINDOW_STEPS;
      step++
    ) {
      if (await submit({ kind: 'code', value: totpCode(factor.secret, { step }), step })) {
        factor.lastStep = step;
        return;
      }
      // Refused: the server has used this step already (another sign-in by the test itself).
      factor.lastStep = Math.max(factor.lastStep, step);
    }
    const recovery = recoveryCodes ? factor.recoveryCodes.shift() : undefined;
    if (recovery !== undefined) {
      if (await submit({ kind: 'recovery', value: recovery })) return;
      continue;
    }
    const nextStepAt = (now + 1) * TOTP_PERIOD_SECONDS * 1000;
    await sleep(Math.max(0, nextStepAt - Date.now()) + 50);
  }
  throw new Error('the second factor was refused every time');
}
