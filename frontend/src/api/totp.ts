/** Two-step sign-in with an authenticator app (admins and mentors). */
import { api, expectOk, unwrap } from './client';
import type { TotpEnrolment, TotpStatus } from './types';

export const getTotpStatus = (): Promise<TotpStatus> => unwrap(api.GET('/auth/totp'));

/** A new secret (QR code and manual key), active only once confirmed with a first code. */
export const startTotpEnrolment = (): Promise<TotpEnrolment> => unwrap(api.POST('/auth/totp/enrolment'));

/** Turns the authenticator on; the ten recovery codes, shown this once. */
export async function confirmTotpEnrolment(code: string): Promise<string[]> {
  return (await unwrap(api.POST('/auth/totp/enrolment/confirm', { body: { code } }))).codes;
}

export const disableTotp = (code: string): Promise<void> => expectOk(api.POST('/auth/totp/disable', { body: { code } }));

/** Ten new recovery codes (the old ones stop working), for a current app code. */
export async function regenerateRecoveryCodes(code: string): Promise<string[]> {
  return (await unwrap(api.POST('/auth/totp/recovery-codes', { body: { code } }))).codes;
}
