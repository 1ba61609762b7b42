import { api, unwrap } from './client';
import type { Consent } from './types';

export const getConsent = (): Promise<Consent> => unwrap(api.GET('/users/me/consent'));

/** Records that the notice was read, in the language it was shown in. */
export const acknowledgeConsent = (language: 'es' | 'en'): Promise<Consent> =>
  unwrap(api.POST('/users/me/consent', { body: { language } }));
