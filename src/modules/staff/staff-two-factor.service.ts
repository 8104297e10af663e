/**
 * The second factor on the account page: setting up an authenticator app (TOTP), new recovery codes,
 * and turning it off for someone it is not required of. Each change emails the owner.
 */
import QRCode from 'qrcode';
import { enqueueEmail } from '../../infra/mailer/email.jobs.js';
import { generateRecoveryCodes, hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js';
import { SecretBox } from '../../lib/secret-box.js';
import type { StaffCore, StaffUser } from './staff-core.js';
import { twoFactorChangedEmail } from './staff-emails.js';
import * as repo from './staff.repository.js';
import { generateTotpSecret, groupSecret, otpauthUri, verifyTotp } from './totp.js';

export interface TotpSetup {
  /** The pending secret, sealed, for the session to hold until the code confirms it. */
  sealed: string;
  /** In groups of four, for typing into an app. */
  secretForDisplay: string;
  otpauthUri: string;
  /** data:image/svg+xml;base64,... (the CSP allows data: images; no script or style is involved). */
  qrCodeDataUrl: string;
}

export class StaffTwoFactor {
  /** Seals the secret being set up while the page waits for its first code (a key of its own). */
  readonly #setupBox: SecretBox;

  constructor(private readonly core: StaffCore) {
    this.#setupBox = new SecretBox(core.settings.sessionSecret, 'staff-totp-setup');
  }

  /**
   * A secret for the set-up page. While the page is reloaded the same secret is shown (the person may
   * have scanned it already), so the sealed pending secret is passed back in when the session has one.
   */
  async beginTotpSetup(staff: StaffUser, pendingSealed?: string): Promise<TotpSetup> {
    const binding = `setup:${staff.id}`;
    const existing = pendingSealed ? this.#setupBox.open(pendingSealed, binding) : undefined;
    const secret = existing ?? generateTotpSecret();
    const uri = otpauthUri({
      secret,
      issuer: `${this.core.settings.councilName} Civicdesk`,
      account: staff.email,
    });
    const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    return {
      sealed: existing ? pendingSealed! : this.#setupBox.seal(secret, binding),
      secretForDisplay: groupSecret(secret),
      otpauthUri: uri,
      qrCodeDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    };
  }

  /**
   * Turns TOTP on once a code from the new app proves it was set up right. Returns the recovery codes,
   * to be shown once: only their hashes are kept. Every session of this person is ended (they were
   * started without the second factor); the route signs this browser in again.
   */
  async confirmTotpSetup(
    staff: StaffUser,
    pendingSealed: string,
    code: string,
  ): Promise<{ outcome: 'ok'; recoveryCodes: string[] } | { outcome: 'wrong' } | { outcome: 'expired' }> {
    const now = this.core.now();
    const secret = this.#setupBox.open(pendingSealed, `setup:${staff.id}`);
    if (secret === undefined) return { outcome: 'expired' };
    const step = verifyTotp(secret, code, now);
    if (step === undefined) return { outcome: 'wrong' };
    const recoveryCodes = generateRecoveryCodes();
    const replacing = staff.totpEnabled;
    await this.core.db.transaction().execute(async (trx) => {
      // The step of the confirming code is recorded as used, so it cannot also sign someone in.
      await repo.enableTotp(trx, staff.id, {
        sealedSecret: this.core.totpBox.seal(secret, staff.id),
        now,
        step,
      });
      await repo.replaceRecoveryCodes(
        trx,
        staff.id,
        recoveryCodes.map((c) => hashRecoveryCode(staff.id, normaliseRecoveryCode(c)!)),
      );
      await repo.endAllSessions(trx, staff.id, now);
      await enqueueEmail(
        this.core.jobs,
        trx,
        twoFactorChangedEmail(this.core.email, staff, replacing ? 'new-codes' : 'on', now),
      );
    });
    this.core.jobs.wake();
    return { outcome: 'ok', recoveryCodes };
  }

  async newRecoveryCodes(staff: StaffUser): Promise<string[]> {
    const now = this.core.now();
    const recoveryCodes = generateRecoveryCodes();
    await this.core.db.transaction().execute(async (trx) => {
      await repo.replaceRecoveryCodes(
        trx,
        staff.id,
        recoveryCodes.map((c) => hashRecoveryCode(staff.id, normaliseRecoveryCode(c)!)),
      );
      await enqueueEmail(
        this.core.jobs,
        trx,
        twoFactorChangedEmail(this.core.email, staff, 'new-codes', now),
      );
    });
    this.core.jobs.wake();
    return recoveryCodes;
  }

  /** Only for someone TOTP is not required of (the route checks, and so does this). */
  async turnOffTotp(staff: StaffUser): Promise<void> {
    if (this.core.totpRequired(staff)) throw new Error('TOTP is required for this member of staff');
    const now = this.core.now();
    await this.core.db.transaction().execute(async (trx) => {
      await repo.disableTotp(trx, staff.id);
      await enqueueEmail(this.core.jobs, trx, twoFactorChangedEmail(this.core.email, staff, 'off', now));
    });
    this.core.jobs.wake();
  }
}
