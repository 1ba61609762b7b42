// Fails when src/api/schema.d.ts is not what openapi-typescript makes from openapi.json,
// so the typed client cannot drift silently from the backend's schema.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const spec = join(root, 'openapi.json');
const committed = join(root, 'src', 'api', 'schema.d.ts');

if (!existsSync(spec)) {
  console.error('check:api: openapi.json is missing (make it with `ignacio openapi --out frontend/openapi.json`).');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'ignacio-api-'));
const fresh = join(dir, 'schema.d.ts');
try {
  const bin = join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
  execFileSync(process.execPath, [bin, spec, '-o', fresh], { stdio: ['ignore', 'ignore', 'inherit'] });
  const want = readFileSync(fresh, 'utf8');
  const have = existsSync(committed) ? readFileSync(committed, 'utf8') : '';
  if (want !== have) {
    console.error('check:api: src/api/schema.d.ts is out of date with openapi.json. Run `npm run gen:api` and fix the type errors it shows.');
    process.exit(1);
  }
  console.log('check:api: src/api/schema.d.ts matches openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
