/**
 * The AWS credentials of a deployed function: Lambda always puts them in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The bundles are built with this
 * module in place of the SDK's default credential chain (lib/bundling.ts), which would also bring
 * the SSO, STS, web-identity, INI-file and process providers with their nested clients: about
 * 56 KB of code and 10 ms of cold start that a Lambda never uses. The SDK clients call it exactly
 * as they call the chain's `defaultProvider`. The local stack runs the TypeScript sources with the
 * full chain; `sam local` runs the bundles and gives the credentials through the environment, as
 * Lambda does (README "Local testing with sam local").
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
