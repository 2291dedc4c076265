/**
 * Helpers for reading synthesized templates: resources, the policy statements that apply to a
 * function, and which function a route reaches.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';

export type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
};
export interface RouteInfo {
  readonly routeKey: string;
  readonly functionId: string;
  readonly apiRef: unknown;
  readonly authorizationType: unknown;
}
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** A test app that skips bundling: these tests read the template, not the bundles (bundling.test.ts does). */
export function newApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A synthesized stack with lookups by construct. */
export class Synthesized {
  readonly template: Template;
  readonly resources: Record<string, Resource>;

  constructor(readonly stack: Stack) {
    this.template = Template.fromStack(stack);
    this.resources = this.template.toJSON().Resources as Record<string, Resource>;
  }

  resource(id: string): Resource {
    const found = this.resources[id];
    if (!found) throw new Error(`no resource ${id}`);
    return found;
  }

  ofType(type: string): [string, Resource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  functionId(fn: IFunction): string {
    return this.stack.getLogicalId(fn.node.defaultChild as CfnFunction);
  }

  environmentOf(fn: IFunction): Record<string, unknown> {
    const env = this.resource(this.functionId(fn)).Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    return env.Variables;
  }

  roleIdOf(fn: IFunction): string {
    const role = this.resource(this.functionId(fn)).Properties.Role as { 'Fn::GetAtt': [string, string] };
    return role['Fn::GetAtt'][0];
  }

  /**
   * Every policy statement that applies to a function: its role may carry inline policies, and any
   * AWS::IAM::Policy may attach to it by Ref.
   */
  statementsOf(fn: IFunction): Statement[] {
    const role = this.roleIdOf(fn);
    const documents: { Statement: Statement[] }[] = [];
    for (const [, r] of this.ofType('AWS::IAM::Policy')) {
      const roles = asArray(r.Properties.Roles as { Ref?: string }[] | undefined);
      if (roles.some((ref) => ref.Ref === role)) documents.push(r.Properties.PolicyDocument as never);
    }
    const inline = asArray(
      this.resource(role).Properties.Policies as { PolicyDocument: never }[] | undefined,
    );
    documents.push(...inline.map((p) => p.PolicyDocument));
    return documents.flatMap((d) => d.Statement);
  }

  actionsOf(fn: IFunction, prefix = ''): string[] {
    return [
      ...new Set(
        this.statementsOf(fn).flatMap((st) => asArray(st.Action).filter((a) => a.startsWith(prefix))),
      ),
    ].sort();
  }

  /**
   * Each DynamoDB item action granted to a function (Query, on an index, aside), with the condition
   * of the one statement that grants it (null: none). An action granted twice is an error: a second,
   * unconditioned grant would void the first one's condition.
   */
  itemActionConditions(fn: IFunction): Record<string, unknown> {
    const conditions: Record<string, unknown> = {};
    for (const st of this.statementsOf(fn)) {
      for (const action of asArray(st.Action)) {
        if (!action.startsWith('dynamodb:') || action === 'dynamodb:Query') continue;
        if (action in conditions) throw new Error(`${action} is granted by more than one statement`);
        conditions[action] = st.Condition ?? null;
      }
    }
    return conditions;
  }

  /** Every route in the stack, with the logical id of the function its integration invokes. */
  routes(): RouteInfo[] {
    const routes: RouteInfo[] = [];
    for (const [, route] of this.ofType('AWS::ApiGatewayV2::Route')) {
      const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      const [prefix, ref] = target['Fn::Join'][1];
      if (prefix !== 'integrations/') throw new Error(`unexpected route target ${JSON.stringify(target)}`);
      const integration = this.resource(ref.Ref);
      const uri = integration.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] };
      routes.push({
        routeKey: String(route.Properties.RouteKey),
        functionId: uri['Fn::GetAtt'][0],
        apiRef: route.Properties.ApiId,
        authorizationType: route.Properties.AuthorizationType,
      });
    }
    return routes;
  }
}
