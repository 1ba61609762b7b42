import { expectOk, unwrap, api } from './client';
import { session } from './session';
import type { AccessToken, SignedInDevice, User } from './types';

/** Sends a one-time code to the number's WhatsApp. */
export async function requestOtp(phoneNumber: string): Promise<void> {
  await unwrap(api.POST('/auth/request-otp', { body: { phone_number: phoneNumber } }));
}

/** Signed in, or one more step: the authenticator app's code for this challenge. */
export type SignInResult =
  | { kind: 'signed_in'; user: User; enrolmentRequired: boolean }
  | { kind: 'second_factor'; challengeToken: string };

function signedIn(grant: AccessToken): SignInResult {
  session.setAccess(grant); // the refresh token arrived as an httpOnly cookie
  return { kind: 'signed_in', user: grant.user, enrolmentRequired: grant.totp_enrolment_required };
}

/** Exchanges the code for a session, or for a second-factor challenge (admins and mentors with an authenticator app). */
export async function verifyOtp(phoneNumber: string, code: string): Promise<SignInResult> {
  const grant = await unwrap(api.POST('/auth/verify-otp', { body: { phone_number: phoneNumber, code } }));
  if ('challenge_token' in grant) return { kind: 'second_factor', challengeToken: grant.challenge_token };
  return signedIn(grant);
}

/** Finishes signing in with the authenticator app's code or a recovery code. */
export async function verifySecondFactor(challengeToken: string, code: string): Promise<SignInResult> {
  return signedIn(await unwrap(api.POST('/auth/second-factor', { body: { challenge_token: challengeToken, code } })));
}

/**
 * Ends the session on the server (best effort; it also clears the refresh
 * cookie) and forgets the access token. The server knows the session from the
 * bearer token.
 */
export async function logout(): Promise<void> {
  try {
    if (session.hasSession()) await api.POST('/auth/logout', {});
  } catch {
    // Signing out locally matters more than telling the server.
  } finally {
    session.clear();
  }
}

/** Ends every session of this user, on every device, this one included. */
export async function logoutEverywhere(): Promise<void> {
  try {
    await expectOk(api.POST('/auth/logout-all', {}));
  } finally {
    session.clear();
  }
}

/** This user's signed-in devices, most recently used first. */
export async function listSessions(): Promise<SignedInDevice[]> {
  return (await unwrap(api.GET('/auth/sessions', {}))).items;
}

/** Ends one of this user's sessions (another device). */
export async function revokeSession(sessionId: string): Promise<void> {
  await expectOk(api.DELETE('/auth/sessions/{session_id}', { params: { path: { session_id: sessionId } } }));
}

/**
 * Restores a session from the refresh cookie (page reload, a new tab): the grant when it
 * refreshed, `true` when an access token was already there, `null` when there is no session.
 */
export async function resumeSession(): Promise<AccessToken | true | null> {
  if (session.accessToken()) return true;
  return session.refresh();
}
