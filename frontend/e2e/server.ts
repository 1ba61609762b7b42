/**
 * The real app for the browser tests: `python -m tests.e2e.serve` from the repo root (embedded
 * Postgres in a fresh temp dir, the offline model, a fake WhatsApp Graph API, and a control
 * server that tells which sign-in code the fake captured). Started once per run, always stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const frontendDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = join(frontendDir, '..');
export const artifactsDir = join(frontendDir, 'e2e-artifacts');

export interface ServerUrls {
  app: string;
  /** A second API process on the same database (`ignacio serve --no-worker`). */
  app2: string;
  /** A fresh `make run` (`create-admin`, then `ignacio serve`) with no WhatsApp configuration. */
  fresh: string;
  control: string;
  graph: string;
}

export interface RunningServer {
  urls: ServerUrls;
  stop: () => Promise<void>;
}

const START_TIMEOUT_MS = 240_000; // three API processes on a loaded 2-core machine
const STOP_GRACE_MS = 20_000;

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Ends the server: SIGTERM lets uvicorn finish and the embedded Postgres stop (its atexit hook),
 * so no database process outlives the run; SIGKILL only if it hangs.
 */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_GRACE_MS).unref());
  if ((await Promise.race([exited(child), timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited(child);
  }
}

export async function startServer(): Promise<RunningServer> {
  const python = process.env.IGNACIO_PYTHON ?? join(repoDir, '.venv', 'bin', 'python');
  if (!existsSync(python)) throw new Error(`${python} is missing: set up the backend first (make setup).`);
  mkdirSync(artifactsDir, { recursive: true });
  const logPath = join(artifactsDir, 'server.log');
  const log = createWriteStream(logPath);

  const [port, controlPort, secondPort, freshPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = ['--port', String(port), '--control-port', String(controlPort), '--second-port', String(secondPort), '--fresh-port', String(freshPort)];
  const child = spawn(python, ['-m', 'tests.e2e.serve', ...args], {
    cwd: repoDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  // Whatever happens to this runner, the server goes with it.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  child.stderr.pipe(log);

  const urls = await new Promise<ServerUrls>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the e2e server did not start in ${START_TIMEOUT_MS / 1000} s; see ${logPath}`)), START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      log.write(`[stdout] ${line}\n`);
      if (!line.startsWith('{')) return;
      try {
        const parsed = JSON.parse(line) as Partial<ServerUrls>;
        if (parsed.app && parsed.app2 && parsed.fresh && parsed.control && parsed.graph) {
          clearTimeout(timer);
          resolve(parsed as ServerUrls);
        }
      } catch {
        // not the announcement
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the e2e server exited (${signal ?? `code ${code}`}) before it was ready; see ${logPath}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  }).catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });

  return {
    urls,
    stop: async () => {
      await stopChild(child);
      process.off('exit', onExit);
      log.end();
    },
  };
}
