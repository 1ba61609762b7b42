// Fails the build when a lazily loaded part of the app (the signed-in chat and its Markdown renderer, the admin and staff areas, the WhatsApp simulator,
// the syntax highlighter, the usage charts) has slipped into the first load: the scripts index.html references.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const LAZY = ['ChatArea', 'markdown', 'AdminArea', 'StaffArea', 'SimulatorPage', 'highlight', 'UsageChart'];

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const firstLoad = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]);
const assets = readdirSync(join(dist, 'assets')).filter((name) => name.endsWith('.js'));

const problems = [];
for (const name of LAZY) {
  if (!assets.some((file) => file.startsWith(`${name}-`))) problems.push(`no separate ${name} chunk was built`);
  if (firstLoad.some((file) => file.startsWith(`${name}-`))) problems.push(`${name} is part of the first load`);
}
if (firstLoad.length === 0) problems.push('index.html references no script');

if (problems.length > 0) {
  console.error(`first load check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`first load: ${firstLoad.join(', ')}; lazy: ${LAZY.join(', ')}`);
