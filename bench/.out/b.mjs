import * as esbuild from 'esbuild';
for (const ext of [false, true]) for (const e of ['login','redirect','refresh']) {
  const r = await esbuild.build({ entryPoints: [`/work/main/lambdas/${e}.ts`], bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node22', mainFields: ['module','main'], banner: {js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"}, outfile: `/work/main/bench/.out/t-${e}${ext?'-ext':''}.mjs`, metafile: true, external: ext ? ['@aws-sdk/*','@smithy/*'] : [], logLevel: 'warning' });
  const o = Object.values(r.metafile.outputs)[0]; console.log(e, ext, o.bytes);
}
