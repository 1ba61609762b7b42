/**
 * The app's one query cache. Lists and transcripts stay cached while the user moves around and
 * are refetched when the live stream says they changed (each feature invalidates its own keys),
 * so nothing polls and nothing reloads by hand after an action.
 */
import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './errors';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A refusal (4xx) will not change by asking again; a network or server failure might.
        retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

export const queryClient = createQueryClient();
