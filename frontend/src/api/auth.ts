import { expectOk, unwrap, api } from './client';
import { session } from './session';
import type { SignedInDevice, User } from './types';

/** Sends a one-time code to the number's WhatsApp. */
export async function requestOtp(phoneNumber: string): Promise<void> {
  await unwrap(api.POST('/auth/request-otp', { body: { phone_number: phoneNumber } }));
}

/** Exchanges the code for a session; returns the signed-in user. */
export async function verifyOtp(phoneNumber: string, code: string): Promise<User> {
  const grant = await unwrap(api.POST('/auth/verify-otp', { body: { phone_number: phoneNumber, code } }));
  session.setAccess(grant); // the refresh token arrived as an httpOnly cookie
  return grant.user;
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

/** Restores a session from the refresh cookie (page reload, a new tab). */
export async function resumeSession(): Promise<boolean> {
  if (session.accessToken()) return true;
  return (await session.refresh()) !== null;
}
