/**
 * Downloads that need the bearer token (exports, CSV reports): a plain link would reach the
 * API without it, so the bytes are fetched with the session and handed to the browser as a blob.
 */
import { errorFromResponse, networkError } from './errors';
import { session } from './session';

/** The file name the server gave in `Content-Disposition`, if any. */
export function attachmentName(header: string | null): string | null {
  const match = header ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header) : null;
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/** Fetches `path` with the session and saves it under the server's file name (or `fallbackName`). */
export async function saveDownload(path: string, fallbackName: string): Promise<void> {
  let response: Response;
  try {
    response = await session.fetch(new Request(`${session.baseUrl}${path}`));
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) throw await errorFromResponse(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = attachmentName(response.headers.get('Content-Disposition')) ?? fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Everything Ignacio holds about the signed-in participant, as a ZIP. */
export const downloadMyData = (): Promise<void> => saveDownload('/users/me/export', 'ignacio-export.zip');

/** The same export for any participant (admins; audited by the API). */
export const downloadUserData = (userId: string): Promise<void> =>
  saveDownload(`/admin/users/${encodeURIComponent(userId)}/export`, 'ignacio-export.zip');
