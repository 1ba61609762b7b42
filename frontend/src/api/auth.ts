import { unwrap, api } from './client';
import { session } from './session';
import type { User } from './types';

/** Sends a one-time code to the number's WhatsApp. */
export async function requestOtp(phoneNumber: string): Promise<void> {
  await unwrap(api.POST('/auth/request-otp', { body: { phone_number: phoneNumber } }));
}

/** Exchanges the code for a session; returns the signed-in user. */
export async function verifyOtp(phoneNumber: string, code: string): Promise<User> {
  const pair = await unwrap(api.POST('/auth/verify-otp', { body: { phone_number: phoneNumber, code } }));
  session.setTokens(pair);
  return pair.user;
}

/**
 * Ends the session on the server (best effort) and forgets both tokens. The
 * server knows the session from the bearer token, so no body is sent.
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

/** Restores a session from the stored refresh token (page reload). */
export async function resumeSession(): Promise<boolean> {
  if (session.accessToken()) return true;
  return (await session.refresh()) !== null;
}
