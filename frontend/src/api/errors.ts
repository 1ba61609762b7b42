/** One error type for every failed API call, carrying the backend's `{error: {code, message}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait, from a 429's `Retry-After` header. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
  detail?: unknown;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

/** Builds an ApiError from a response and its already-parsed body (if any). */
export function toApiError(response: Response, body: unknown): ApiError {
  const parsed = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const code = typeof parsed.error?.code === 'string' ? parsed.error.code : `http_${response.status}`;
  const message =
    typeof parsed.error?.message === 'string'
      ? parsed.error.message
      : typeof parsed.detail === 'string'
        ? parsed.detail
        : response.statusText || `HTTP ${response.status}`;
  return new ApiError(response.status, code, message, parseRetryAfter(response.headers.get('Retry-After')));
}

/** Reads a failed response's body (JSON if possible) and turns it into an ApiError. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return toApiError(response, body);
}

/** A network failure or abort, normalised so callers handle one type. */
export function networkError(cause: unknown): ApiError {
  if (cause instanceof ApiError) return cause;
  if (cause instanceof DOMException && cause.name === 'AbortError') return new ApiError(0, 'aborted', 'aborted');
  return new ApiError(0, 'network_error', cause instanceof Error ? cause.message : 'Network error');
}
