import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { OAuthBackend } from './oauth-backend.js';
import type { OAuthBackendProps } from './props.js';

/** Properties of {@link OAuthBackendStack}: the stack's own and the construct's. */
export interface OAuthBackendStackProps extends StackProps, OAuthBackendProps {}

/** A deployable stack holding one {@link OAuthBackend}, with the values needed after deployment as outputs. */
export class OAuthBackendStack extends Stack {
  readonly backend: OAuthBackend;

  constructor(scope: Construct, id: string, props: OAuthBackendStackProps) {
    super(scope, id, props);

    this.backend = new OAuthBackend(this, 'Auth', props);

    new CfnOutput(this, 'LoginUrl', {
      value: this.backend.loginUrl,
      description: 'Open this URL in a browser to log in',
    });
    new CfnOutput(this, 'RedirectUri', {
      value: this.backend.redirectUri,
      description: 'Register this exact redirect URI for the client at the authorization server',
    });
    new CfnOutput(this, 'BackchannelLogoutUri', {
      value: this.backend.backchannelLogoutUri,
      description:
        'Register this as the back-channel logout URI of the client at the authorization server (OIDC Back-Channel Logout)',
    });
    new CfnOutput(this, 'TableName', {
      value: this.backend.table.tableName,
      description: 'DynamoDB table of login transactions and sessions',
    });
    new CfnOutput(this, 'ClientSecretArn', {
      value: this.backend.clientSecret.secretArn,
      description: 'Secrets Manager secret whose secret string must be the client secret',
    });
  }
}
