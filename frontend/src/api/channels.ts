import { api, unwrap } from './client';
import type { ChannelInfo } from './types';

/** The channels this deployment runs and their traits (read-only on the web, short answers…). */
export const listChannels = (): Promise<ChannelInfo[]> => unwrap(api.GET('/channels'));
