// Fails when the committed API contract is not what the backend publishes today:
//   1. asks the backend for its OpenAPI schema (`ignacio openapi`, run from the repo root),
//   2. types it with openapi-typescript,
// and compares both with the committed `openapi.json` and `src/api/schema.d.ts`.
// So front and back cannot drift silently: a backend change fails here until someone runs
// `npm run sync:api` and fixes the type errors it shows.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const frontend = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(frontend, '..');
const cli = process.env.IGNACIO_CLI ?? join(repo, '.venv', 'bin', 'ignacio');
const committedSpec = join(frontend, 'openapi.json');
const committedTypes = join(frontend, 'src', 'api', 'schema.d.ts');

function fail(message) {
  console.error(`check:api: ${message}`);
  process.exitCode = 1;
}

/** Where two texts first differ, as "line N: committed | backend" (enough to see what moved). */
function firstDifference(have, want) {
  const a = have.split('\n');
  const b = want.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `first difference at line ${i + 1}:\n  committed: ${a[i] ?? '<end of file>'}\n  backend:   ${b[i] ?? '<end of file>'}`;
  }
  return '';
}

function compare(label, committedPath, freshPath) {
  const want = readFileSync(freshPath, 'utf8');
  const have = existsSync(committedPath) ? readFileSync(committedPath, 'utf8') : '';
  if (want === have) {
    console.log(`check:api: ${label} matches the backend`);
    return;
  }
  fail(`${relative(repo, committedPath)} is out of date with the backend; ${firstDifference(have, want)}`);
}

if (!existsSync(cli)) {
  fail(`${cli} is missing: set up the backend first (\`make setup\`), or point IGNACIO_CLI at the \`ignacio\` command.`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ignacio-api-'));
  const freshSpec = join(dir, 'openapi.json');
  const freshTypes = join(dir, 'schema.d.ts');
  try {
    execFileSync(cli, ['openapi', '--out', freshSpec], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    const bin = join(frontend, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
    execFileSync(process.execPath, [bin, freshSpec, '-o', freshTypes], { stdio: ['ignore', 'ignore', 'inherit'] });
    compare('openapi.json', committedSpec, freshSpec);
    compare('src/api/schema.d.ts', committedTypes, freshTypes);
    if (process.exitCode) console.error('check:api: run `npm run sync:api`, fix the type errors it shows, and commit both files.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
