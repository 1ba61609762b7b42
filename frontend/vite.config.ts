/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import type { IncomingMessage } from 'node:http';
import { defineConfig, type ProxyOptions } from 'vite';

/** Where `npm run dev` sends API calls; `ignacio serve` listens here by default. */
const apiTarget = process.env.IGNACIO_API_URL ?? 'http://127.0.0.1:8000';

/**
 * First path segments that belong to the API. Some SPA routes share them
 * (`/admin/conversations`, `/admin/audit`), so a browser navigation (which asks
 * for HTML) gets index.html while fetches (which ask for JSON or SSE) are proxied.
 */
const apiPrefixes = ['/auth', '/users', '/conversations', '/messages', '/files', '/admin', '/health', '/webhooks'];

function wantsHtml(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

const apiProxy: ProxyOptions = {
  target: apiTarget,
  bypass: (req) => (wantsHtml(req) ? '/index.html' : undefined),
};

const MARKDOWN =
  /[\\/]node_modules[\\/](react-markdown|remark-[^\\/]+|micromark[^\\/]*|mdast-[^\\/]+|hast-[^\\/]+|unified|vfile[^\\/]*|unist-[^\\/]+|property-information|markdown-table|bail|ccount|character-entities[^\\/]*|comma-separated-tokens|space-separated-tokens|decode-named-character-reference|devlop|escape-string-regexp|estree-util-[^\\/]+|html-url-attributes|inline-style-parser|is-plain-obj|longest-streak|style-to-[^\\/]+|trim-lines|trough|zwitch|@ungap)[\\/]/;

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: Object.fromEntries(apiPrefixes.map((prefix) => [prefix, apiProxy])),
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate files cache better.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          // Libraries only lazily imported modules use stay in those modules' own chunks,
          // so the first load does not pay for them.
          if (/[\\/]node_modules[\\/](highlight\.js|chart\.js|react-chartjs-2|@kurkle)[\\/]/.test(id)) return undefined;
          // The Markdown stack: only the signed-in app renders Markdown, not the sign-in page.
          if (MARKDOWN.test(id)) return 'markdown';
          if (/[\\/]node_modules[\\/](react|react-dom|react-router|scheduler|cookie|set-cookie-parser)[\\/]/.test(id)) return 'react';
          return 'vendor';
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test/setup.ts'],
    css: false,
    restoreMocks: true,
  },
});
