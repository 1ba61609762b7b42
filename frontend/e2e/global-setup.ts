/**
 * Before the browser tests: build the UI if its sources are newer than `dist/`, start the real
 * app on free loopback ports, and hand its URLs to the tests (workers inherit this environment).
 * The returned function is Playwright's teardown: it always stops the server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { frontendDir, startServer } from './server';

const BUILD_INPUTS = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', 'package-lock.json', 'tsconfig.app.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

function buildIfNeeded(): void {
  const built = join(frontendDir, 'dist', 'index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const changedAt = Math.max(...BUILD_INPUTS.map((p) => newestMtime(join(frontendDir, p))));
  if (builtAt >= changedAt) return;
  console.log('e2e: dist/ is missing or older than the sources; running npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: frontendDir, stdio: 'inherit' });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  buildIfNeeded();
  const started = Date.now();
  const server = await startServer();
  console.log(`e2e: app ${server.urls.app}, control ${server.urls.control} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  process.env.IGNACIO_E2E_APP = server.urls.app;
  process.env.IGNACIO_E2E_APP2 = server.urls.app2;
  process.env.IGNACIO_E2E_FRESH = server.urls.fresh;
  process.env.IGNACIO_E2E_CONTROL = server.urls.control;
  return server.stop;
}
