import { api, expectOk, unwrap, unwrapAs } from './client';
import { saveBlob } from './download';
import { ApiError, errorFromResponse, networkError, toApiError } from './errors';
import { session } from './session';
import type { ConversationUpload, FileRules, Page, UserFile } from './types';

export const getFileRules = (): Promise<FileRules> => unwrap(api.GET('/files/rules'));

export const listFiles = (cursor?: string | null): Promise<Page<UserFile>> =>
  unwrapAs(api.GET('/files', { params: { query: { cursor: cursor ?? undefined } } }));

export const getFile = (id: string): Promise<UserFile> =>
  unwrapAs(api.GET('/files/{file_id}', { params: { path: { file_id: id } } }));

export const deleteFile = (id: string): Promise<void> =>
  expectOk(api.DELETE('/files/{file_id}', { params: { path: { file_id: id } } }));

/** The file's bytes (downloads need the bearer token, so a plain link will not do). */
export async function fetchFileBlob(id: string, signal?: AbortSignal): Promise<Blob> {
  let response: Response;
  try {
    response = await session.fetch(
      new Request(`${session.baseUrl}/files/${encodeURIComponent(id)}/download`, { signal }),
    );
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response.blob();
}

/** Saves a stored file to the user's device under its original name. */
export async function downloadFile(id: string, fileName: string): Promise<void> {
  saveBlob(await fetchFileBlob(id), fileName);
}

export interface UploadOptions {
  /** Upload into a conversation (creates a message) instead of the user's library. */
  conversationId?: string;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/**
 * Uploads one file with XMLHttpRequest, because fetch cannot report upload
 * progress. A 401 gets one silent refresh and one retry, as with fetch.
 */
export function uploadFile(file: File, options?: UploadOptions & { conversationId?: undefined }): Promise<UserFile>;
export function uploadFile(file: File, options: UploadOptions & { conversationId: string }): Promise<ConversationUpload>;
export async function uploadFile(file: File, options: UploadOptions = {}): Promise<UserFile | ConversationUpload> {
  const path = options.conversationId
    ? `/conversations/${encodeURIComponent(options.conversationId)}/files`
    : '/files/upload';
  const url = `${session.baseUrl}${path}`;
  let result = await sendUpload(url, file, session.accessToken(), options);
  if (result.status === 401 && session.hasSession()) {
    const grant = await session.refresh();
    if (grant) result = await sendUpload(url, file, grant.access_token, options);
  }
  if (result.status < 200 || result.status >= 300) {
    const response = new Response(null, { status: result.status, headers: result.headers });
    throw toApiError(response, result.body);
  }
  return result.body as UserFile | ConversationUpload;
}

interface XhrResult {
  status: number;
  headers: Headers;
  body: unknown;
}

function sendUpload(url: string, file: File, token: string | null, options: UploadOptions): Promise<XhrResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ApiError(0, 'aborted', 'aborted'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      const headers = new Headers();
      const retryAfter = xhr.getResponseHeader('Retry-After');
      if (retryAfter) headers.set('Retry-After', retryAfter);
      resolve({ status: xhr.status, headers, body });
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'Network error'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
