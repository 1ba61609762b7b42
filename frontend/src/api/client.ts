/**
 * The typed HTTP client: openapi-fetch over the generated schema, with the
 * session's fetch (bearer token, silent refresh) underneath.
 */
import createClient from 'openapi-fetch';
import { ApiError, networkError, toApiError } from './errors';
import type { paths } from './schema';
import { session } from './session';

export const api = createClient<paths>({
  baseUrl: session.baseUrl,
  fetch: (request: Request) => session.fetch(request),
  headers: { Accept: 'application/json' },
});

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Turns openapi-fetch's `{data, error}` into "data or throw ApiError", so
 * components handle failures in one way.
 */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    throw networkError(cause);
  }
  if (!result.response.ok) throw toApiError(result.response, result.error);
  return result.data as T;
}

/**
 * Like `unwrap`, for answers whose schema types are looser than the app's
 * (an `answer` described as any object, a status as any string): see types.ts.
 */
export function unwrapAs<T>(call: Promise<FetchResult<unknown>>): Promise<T> {
  return unwrap(call) as Promise<T>;
}

/** For 204 answers: succeed or throw. */
export async function expectOk(call: Promise<FetchResult<unknown>>): Promise<void> {
  await unwrap(call);
}

export { ApiError };
