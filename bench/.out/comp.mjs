import * as esbuild from 'esbuild';
const comps = {
  ddb: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; globalThis.x = new DynamoDBClient({});",
  ddbdoc: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; globalThis.x = DynamoDBDocumentClient.from(new DynamoDBClient({}));",
  ddbimport: "import * as d from '@aws-sdk/client-dynamodb'; globalThis.x = d;",
  logger: "import { Logger } from '@aws-lambda-powertools/logger'; globalThis.x = new Logger();",
  middy: "import middy from '@middy/core'; import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'; globalThis.x = [middy, injectLambdaContext];",
  oauth: "import * as o from 'oauth4webapi'; globalThis.x = o;",
  secrets: "import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets'; globalThis.x = SecretsProvider;",
  metrics: "import { Metrics } from '@aws-lambda-powertools/metrics'; globalThis.x = new Metrics({namespace:'a'});",
};
for (const [k, v] of Object.entries(comps)) {
  const r = await esbuild.build({ stdin: { contents: v, resolveDir: '/work/main', loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node22', mainFields: ['module','main'], banner: {js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"}, outfile: `/work/main/bench/.out/c-${k}.mjs`, metafile: true, logLevel: 'warning' });
  console.log(k, Object.values(r.metafile.outputs)[0].bytes);
}
