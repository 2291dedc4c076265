/**
 * cdk-nag AwsSolutions over the deployable stack and over host stacks that embed the construct the
 * ways an application does. Every acknowledgement is made inside the construct (so embedders
 * inherit it), answers a finding that really occurs, and gives a one-sentence reason.
 */
import {
  type App,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AttributeType, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/build-app.js';
import { OAuthBackend } from '../../lib/oauth-backend.js';
import { newApp } from './support.js';

const ISSUER = 'https://issuer.example.com';

/**
 * Runs AwsSolutionsChecks and records what it reports instead of failing the synth, optionally
 * ignoring every acknowledgement (to see the findings they answer).
 */
class RecordingChecks implements IPolicyValidationPlugin {
  readonly name = 'RecordingAwsSolutionsChecks';
  violations: PolicyViolation[] = [];
  private readonly pack: AwsSolutionsChecks;

  constructor(app: App, ignoreAcknowledgements: boolean) {
    this.pack = new AwsSolutionsChecks(app);
    if (ignoreAcknowledgements) {
      // cdk-nag consults acknowledgements through this (private) method; the test bypasses it.
      (this.pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    }
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.pack.validate(context);
    this.violations = report.violations;
    return { ...report, success: true, violations: [] };
  }
}

interface Finding {
  readonly id: string;
  readonly path: string;
}

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

function findings(build: (app: App) => void, ignoreAcknowledgements: boolean): Finding[] {
  const app = newApp();
  build(app);
  const checks = new RecordingChecks(app, ignoreAcknowledgements);
  Validations.of(app).addPlugins(checks);
  app.synth();
  return checks.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
  );
}

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
          path: c.node.path,
        })),
      ),
  );
}

const isUnder = (path: string, ancestor: string) => path === ancestor || path.startsWith(`${ancestor}/`);

/** The ways an application embeds the construct; each returns its OAuthBackend instances. */
const HOSTS: Record<string, (app: App) => OAuthBackend[]> = {
  'the deployable stack (bin/app.ts)': (app) => [buildApp(app).backend],
  'a host stack with only issuer and clientId': (app) => {
    const stack = new Stack(app, 'Host');
    return [new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c' })];
  },
  'a host stack with two instances': (app) => {
    const stack = new Stack(app, 'Host');
    return [
      new OAuthBackend(stack, 'Customers', { issuer: ISSUER, clientId: 'customers' }),
      new OAuthBackend(stack, 'Staff', { issuer: ISSUER, clientId: 'staff' }),
    ];
  },
  "a host stack's existing HttpApi under /auth": (app) => {
    const stack = new Stack(app, 'Host');
    const httpApi = new HttpApi(stack, 'Api');
    return [new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', httpApi, pathPrefix: '/auth' })];
  },
  'a host stack with tracing, an alarm topic, a dashboard and existing table, secret and key': (app) => {
    const stack = new Stack(app, 'Host');
    const topicKey = new Key(stack, 'TopicKey', { enableKeyRotation: true });
    const alarmTopic = new Topic(stack, 'Alarms', { masterKey: topicKey, enforceSSL: true });
    const table = new Table(stack, 'Sessions', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    table.addGlobalSecondaryIndex({
      indexName: 'refresh-due',
      partitionKey: { name: 'refreshShard', type: AttributeType.STRING },
      sortKey: { name: 'refreshAt', type: AttributeType.NUMBER },
    });
    table.addGlobalSecondaryIndex({
      indexName: 'session-subject',
      partitionKey: { name: 'sub', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['sid'],
    });
    const clientSecret = Secret.fromSecretCompleteArn(
      stack,
      'ClientSecret',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:oauth-client-AbCdEf',
    );
    const kmsKey = Key.fromKeyArn(
      stack,
      'TokenKey',
      'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    return [
      new OAuthBackend(stack, 'Auth', {
        issuer: ISSUER,
        clientId: 'c',
        tracing: true,
        dashboard: true,
        alarmTopic,
        table,
        clientSecret,
        kmsKey,
      }),
    ];
  },
  'a host stack with an API proxy on its existing HttpApi': (app) => {
    const stack = new Stack(app, 'Host');
    const httpApi = new HttpApi(stack, 'Api');
    return [
      new OAuthBackend(stack, 'Auth', {
        issuer: ISSUER,
        clientId: 'c',
        httpApi,
        pathPrefix: '/auth',
        apiRoutes: [
          { path: '/api/orders', upstream: 'https://orders.example.com/v1' },
          { path: '/api/users', upstream: 'https://users.example.com' },
        ],
      }),
    ];
  },
  'a host stack with a customer managed table key': (app) => {
    const stack = new Stack(app, 'Host');
    const encryptionKey = new Key(stack, 'TableKey', { enableKeyRotation: true });
    return [
      new OAuthBackend(stack, 'Auth', { issuer: ISSUER, clientId: 'c', tableProps: { encryptionKey } }),
    ];
  },
};

afterAll(() => {
  CloudAssembly.cleanupTemporaryDirectories();
});

describe.each(Object.entries(HOSTS))('cdk-nag AwsSolutions on %s', (_name, host) => {
  it('has no unacknowledged finding', () => {
    expect(findings(host, false)).toEqual([]);
  });

  it('acknowledges only inside the construct, only real findings, and every finding', () => {
    let backends: OAuthBackend[] = [];
    let acks: Acknowledgement[] = [];
    const all = findings((app) => {
      backends = host(app);
      acks = acknowledgements(app);
    }, true);
    const inBackend = (path: string) => backends.some((b) => isUnder(path, b.node.path));

    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(inBackend(ack.path), `${ack.id} at ${ack.path}`).toBe(true);
      // Not stale: it answers at least one finding on a resource at or under where it was made.
      expect(
        all.some((f) => f.id === ack.id && isUnder(f.path, ack.path)),
        `${ack.id} at ${ack.path} answers no finding`,
      ).toBe(true);
    }
    for (const finding of all) {
      expect(
        acks.some((a) => a.id === finding.id && isUnder(finding.path, a.path)),
        `${finding.id} at ${finding.path} is not acknowledged`,
      ).toBe(true);
    }
  });
});

describe('cdk-nag acknowledgements', () => {
  it('are exactly: public sign-in routes (APIG4), the AS-issued secret (SMG4), X-Ray with tracing (IAM5)', () => {
    const ids = (build: (app: App) => unknown) => {
      const app = newApp();
      build(app);
      return [...new Set(acknowledgements(app).map((a) => a.id))].sort();
    };
    expect(ids((app) => buildApp(app))).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-SMG4']);
    expect(
      ids(
        (app) =>
          new OAuthBackend(new Stack(app, 'Host'), 'Auth', { issuer: ISSUER, clientId: 'c', tracing: true }),
      ),
    ).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-SMG4']);
  });

  it('each carry one sentence of reason', () => {
    const app = newApp();
    new OAuthBackend(new Stack(app, 'Host'), 'Auth', { issuer: ISSUER, clientId: 'c', tracing: true });
    const acks = acknowledgements(app);
    for (const { id, reason } of acks) {
      // One sentence: starts with a capital (or a route), ends with the only full stop followed by nothing.
      expect(reason, id).toMatch(/^[A-Z][^\n]{20,300}\.$/);
      expect(reason.slice(0, -1), id).not.toMatch(/[.!?]\s+[A-Z]/);
    }
  });
});
