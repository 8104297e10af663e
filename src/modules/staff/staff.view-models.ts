/**
 * What the staff module's routes share: where to go after signing in, the session keys of its
 * multi-step journeys, the one-line notices the sign-in and account pages can show, and rendering with
 * the staff layout.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FormErrors } from '../../lib/forms.js';
import { audit } from '../audit/index.js';
import { formatTime } from './staff-emails.js';
import { ROLE_LABELS, type FieldProblems, type PendingSignIn, type StaffUser } from './staff.service.js';

/** Keys in session.data, one per journey. */
export const SESSION_KEYS = {
  /** PendingSignIn & { next }: the password was right, the code is still to come. */
  signIn: 'staffSignIn',
  /** The sealed secret shown on the set-up page, until a code confirms it. */
  totpSetup: 'staffTotpSetup',
  /** The sealed token from a password reset link, between the link and the form. */
  passwordReset: 'staffPasswordReset',
  /** PendingOidcSignIn: state, nonce and PKCE verifier between the redirect to the provider and back. */
  oidc: 'staffOidcSignIn',
  /** 'oidc' in a session signed in through the identity provider (which did the second factor). */
  signedInWith: 'staffSignedInWith',
} as const;

export const TOTP_SETUP_PATH = '/staff/two-factor/setup';

export function landingPageFor(staff: Pick<StaffUser, 'role'> | undefined): string {
  return staff?.role === 'admin' ? '/admin' : '/staff/cases';
}

/** Only paths on this site: never an open redirect. */
export function safeNext(value: unknown, staff?: Pick<StaffUser, 'role'>): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : landingPageFor(staff);
}

/** The `next` to carry in a form: empty when there was none, so the landing page can depend on the role. */
export function nextField(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '';
}

export function readPendingSignIn(
  data: Record<string, unknown>,
): (PendingSignIn & { next: string }) | undefined {
  const value = data[SESSION_KEYS.signIn] as Partial<PendingSignIn & { next: string }> | undefined;
  if (!value || typeof value.staffUserId !== 'string' || typeof value.startedAt !== 'number')
    return undefined;
  return { staffUserId: value.staffUserId, startedAt: value.startedAt, next: nextField(value.next) };
}

/** Notices a page can be redirected to with ?notice=..., from this fixed list only. */
export const NOTICES = {
  'signed-out-everywhere': { type: 'info', text: 'You have been signed out on every device and browser.' },
  'password-reset': {
    type: 'success',
    text: 'Your password has been changed. Sign in with your new password.',
  },
  'sign-in-expired': { type: 'info', text: 'Your sign-in was not finished in time. Sign in again.' },
  'session-ended': { type: 'info', text: 'You have been signed out. Sign in again.' },
  'password-changed': {
    type: 'success',
    text: 'Your password has been changed. You have been signed out on every other device.',
  },
  'totp-on': { type: 'success', text: 'Two-step verification is on.' },
  'totp-off': { type: 'success', text: 'Two-step verification is off.' },
  'recovery-code-used': {
    type: 'info',
    text: 'You signed in with a recovery code, which cannot be used again. If you have lost your phone, set up your authenticator app again, or get new recovery codes if you are running out.',
  },
} as const;

export type NoticeKey = keyof typeof NOTICES;

export function noticeFor(key: unknown): { type: string; text: string } | undefined {
  return typeof key === 'string' && key in NOTICES ? NOTICES[key as NoticeKey] : undefined;
}

export function formErrors(problems: FieldProblems): FormErrors {
  const errors = new FormErrors();
  for (const [field, message] of Object.entries(problems)) errors.add(field, message);
  return errors;
}

export function lockedMessage(until: Date): string {
  return `There have been too many failed attempts to sign in to this account, so it is locked until ${formatTime(until)}. We have emailed the account’s owner.`;
}

/**
 * The back office's top navigation, the same on every staff page (src/views/staff-layout.njk): the item
 * whose section holds `path` is marked current.
 */
export function staffNavigation(
  staff: Pick<StaffUser, 'role'>,
  path: string,
): { href: string; text: string; active: boolean }[] {
  const items = [
    { href: '/staff/cases', text: 'Cases' },
    { href: '/staff/contacts', text: 'Callers' },
    ...(staff.role === 'admin' ? [{ href: '/admin', text: 'Administration' }] : []),
    { href: '/staff/account', text: 'Your account' },
  ];
  return items.map((item) => ({
    ...item,
    active: path === item.href || path.startsWith(`${item.href}/`),
  }));
}

/**
 * Renders a staff module template. Pages for a signed-in member of staff get the staff layout's header
 * (who is signed in, sign out) and navigation.
 */
export async function renderStaffPage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context: Record<string, unknown> = {},
  { status = 200, staff }: { status?: number; staff?: StaffUser } = {},
): Promise<FastifyReply> {
  await request.ensureSession(); // every page has a form (at least sign out), so a CSRF token
  const path = request.url.split('?')[0] ?? '';
  const errors = context.errors instanceof FormErrors ? context.errors : undefined;
  return reply.status(status).view(`staff/views/${template}`, {
    staff,
    staffRoleLabel: staff ? ROLE_LABELS[staff.role] : '',
    staffNavigation: staff ? staffNavigation(staff, path) : [],
    ...context,
    ...(errors ? errors.view() : {}),
  });
}

/**
 * Replaces the session with a brand-new one signed in as `staffId` (never promote an existing one), and
 * puts it in the audit trail: who, how (password, code, recovery code, the identity provider, a new session
 * after a password change...), from where, with any `detail`. `via: 'oidc'` marks a sign-in through the
 * council's identity provider, which did the second factor.
 */
export async function startSignedInSession(
  request: FastifyRequest,
  staffId: string,
  {
    via,
    how = via === 'oidc' ? 'identity provider' : 'password',
    detail = {},
  }: { via?: 'oidc'; how?: string; detail?: Record<string, unknown> } = {},
): Promise<void> {
  await request.destroySession();
  const session = await request.ensureSession();
  session.staffUserId = staffId;
  if (via) session.data[SESSION_KEYS.signedInWith] = via;
  await request.saveSession();
  await audit(request.server.db, {
    staffId,
    action: 'staff.signed_in',
    detail: { how, ...detail },
    ip: request.ip,
  });
}

/** Ends this browser's session, recording who signed out (if anyone was signed in). */
export async function endSession(request: FastifyRequest): Promise<void> {
  const staffId = (await request.loadSession())?.staffUserId;
  await request.destroySession();
  if (staffId)
    await audit(request.server.db, { staffId, action: 'staff.signed_out', detail: {}, ip: request.ip });
}

/** Whether this session was signed in through the identity provider (so our TOTP is not asked for). */
export function signedInThroughProvider(data: Record<string, unknown> | undefined): boolean {
  return data?.[SESSION_KEYS.signedInWith] === 'oidc';
}

/** Pages that show a secret (a QR code, recovery codes, a reset form) must not be kept in any cache. */
export function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}
