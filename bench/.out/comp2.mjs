import * as esbuild from 'esbuild';
const comps = {
  sigv4: "import { SignatureV4 } from '@smithy/signature-v4'; import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'; import { createHash, createHmac } from 'node:crypto'; globalThis.x = [SignatureV4, marshall, unmarshall, createHash, createHmac];",
  utilddb: "import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'; globalThis.x = [marshall, unmarshall];",
};
for (const [k, v] of Object.entries(comps)) {
  const r = await esbuild.build({ stdin: { contents: v, resolveDir: '/work/main', loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node22', mainFields: ['module','main'], banner: {js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"}, outfile: `/work/main/bench/.out/c-${k}.mjs`, metafile: true, logLevel: 'warning' });
  console.log(k, Object.values(r.metafile.outputs)[0].bytes);
}
