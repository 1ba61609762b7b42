// Writes a Brotli (.br) and a gzip (.gz) copy of each text file the build put in dist/assets,
// so the API sends the copy a browser accepts without compressing per request
// (api/static_assets.py). A copy that would not be smaller is not written.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = new URL('../dist/assets/', import.meta.url).pathname;
const TEXT = /\.(js|css|svg|json|html|txt)$/;
let before = 0;
let after = 0;

for (const name of readdirSync(dir)) {
  if (!TEXT.test(name)) continue;
  const path = join(dir, name);
  const data = readFileSync(path);
  const br = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  const gz = gzipSync(data, { level: 9 });
  if (br.length < data.length) writeFileSync(`${path}.br`, br);
  if (gz.length < data.length) writeFileSync(`${path}.gz`, gz);
  before += data.length;
  after += Math.min(br.length, data.length);
}
console.log(`precompressed dist/assets: ${Math.round(before / 1024)} KB -> ${Math.round(after / 1024)} KB (brotli)`);
