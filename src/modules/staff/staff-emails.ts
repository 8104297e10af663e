/**
 * The emails staff sign-in sends: a password reset link, and notices of changes to the account (locked,
 * password changed, two-step verification turned on or off), so that the owner hears about anything
 * done to it that they did not do themselves.
 */
import { textToHtml } from '../../lib/email-template.js';
import type { OutgoingEmail } from '../../infra/mailer/mailer.js';

export interface EmailContext {
  councilName: string;
  baseUrl: string;
}

/** "14:05 on 23 November 2026", UK time. */
export function formatTime(at: Date): string {
  const time = at.toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Europe/London',
  });
  const date = at.toLocaleDateString('en-GB', { dateStyle: 'long', timeZone: 'Europe/London' });
  return `${time} on ${date}`;
}

function email(to: string, subject: string, text: string): OutgoingEmail {
  return { to, subject, text, html: textToHtml(text, { title: subject }) };
}

const NOT_YOU =
  'If this was not you, reset your password now and tell your Civicdesk administrator: someone else may know your password.';

export function passwordResetEmail(
  ctx: EmailContext,
  to: { email: string; name: string },
  link: string,
  expiresAt: Date,
): OutgoingEmail {
  return email(
    to.email,
    `Reset your ${ctx.councilName} Civicdesk password`,
    `Dear ${to.name},

Someone asked to reset the password for your Civicdesk account at ${ctx.councilName}. To choose a new password, open this link:

${link}

The link works once, until ${formatTime(expiresAt)}.

If you did not ask for this, you do not need to do anything: your password has not changed.`,
  );
}

export function invitationEmail(
  ctx: EmailContext,
  to: { email: string; name: string },
  link: string,
  expiresAt: Date,
  invitedBy?: string,
): OutgoingEmail {
  return email(
    to.email,
    `Your ${ctx.councilName} Civicdesk account`,
    `Dear ${to.name},

${invitedBy ? `${invitedBy} has made you` : 'You have'} a Civicdesk account at ${ctx.councilName}, with this email address as its sign-in. To choose your password, open this link:

${link}

The link works once, until ${formatTime(expiresAt)}. If it has stopped working, ask your Civicdesk administrator to send you a new one.

If you were not expecting this, you do not need to do anything: nobody can sign in to the account until a password is chosen with this link.`,
  );
}

export function accountLockedEmail(
  ctx: EmailContext,
  to: { email: string; name: string },
  until: Date,
  attempts: number,
): OutgoingEmail {
  return email(
    to.email,
    'Your Civicdesk account is locked for a while',
    `Dear ${to.name},

There were ${attempts} failed attempts to sign in to your Civicdesk account at ${ctx.councilName}, with a wrong password or a wrong code, so we have locked it. You can sign in again after ${formatTime(until)}.

If you have forgotten your password, you can reset it now, which also unlocks your account:
${ctx.baseUrl}/staff/forgotten-password

${NOT_YOU}`,
  );
}

export function passwordChangedEmail(
  ctx: EmailContext,
  to: { email: string; name: string },
  how: 'changed' | 'reset',
  at: Date,
): OutgoingEmail {
  return email(
    to.email,
    'Your Civicdesk password has been changed',
    `Dear ${to.name},

The password for your Civicdesk account at ${ctx.councilName} was ${how === 'reset' ? 'reset with an emailed link' : 'changed'} at ${formatTime(at)}. Every device that was signed in with your account has been signed out${how === 'changed' ? ' except the one used to make the change' : ''}.

${NOT_YOU}
${ctx.baseUrl}/staff/forgotten-password`,
  );
}

export function twoFactorChangedEmail(
  ctx: EmailContext,
  to: { email: string; name: string },
  change: 'on' | 'off' | 'new-codes' | 'recovery-code-used' | 'reset-by-admin',
  at: Date,
): OutgoingEmail {
  const what = {
    'reset-by-admin': [
      'Two-step verification was reset on your Civicdesk account',
      'an administrator reset two-step verification (your authenticator app and recovery codes no longer work; you will be asked to set it up again if your role requires it)',
    ],
    on: ['Two-step verification is on for your Civicdesk account', 'two-step verification was turned on'],
    off: ['Two-step verification is off for your Civicdesk account', 'two-step verification was turned off'],
    'new-codes': [
      'New recovery codes for your Civicdesk account',
      'new recovery codes were made (the old ones no longer work)',
    ],
    'recovery-code-used': [
      'A recovery code was used to sign in to your Civicdesk account',
      'someone signed in with one of your recovery codes',
    ],
  }[change];
  return email(
    to.email,
    what[0]!,
    `Dear ${to.name},

On your Civicdesk account at ${ctx.councilName}, ${what[1]} at ${formatTime(at)}.

You can see your account's settings at ${ctx.baseUrl}/staff/account

${NOT_YOU}`,
  );
}
