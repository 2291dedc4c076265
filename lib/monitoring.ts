/**
 * Alarms and the optional dashboard of one OAuthBackend: business metrics from the handlers
 * (Embedded Metric Format, namespace `OAuthBackend`, dimension `service`), the API's 5xx, and each
 * function's errors and throttles.
 */
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  type MetricOptions,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC, type MetricName } from '../lambdas/shared/definitions/metric-names.js';

/** Every alarm looks at sums over this period. */
export const ALARM_PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  readonly namespace: string;
  readonly serviceName: string;
  /** The API whose 5xx to watch; undefined when the API is not the construct's own. */
  readonly httpApi?: IHttpApi;
  /** Functions by their construct id (`Login`, `Redirect`, ..., `Refresh`). */
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly alarms: boolean;
  readonly alarmTopic?: ITopic;
  readonly refreshFailureThreshold: number;
  readonly serverErrorThreshold: number;
  readonly dashboard: boolean;
  /** Whether there is an API proxy (its ApiProxied metric goes on the dashboard). */
  readonly apiProxy?: boolean;
}

/** A business metric of one backend instance, summed. */
export function businessMetric(
  namespace: string,
  serviceName: string,
  metricName: MetricName,
  options: MetricOptions = {},
): Metric {
  return new Metric({
    namespace,
    metricName,
    // Failures are also emitted with a `reason` dimension; alarms use the `service`-only series,
    // which is the total.
    dimensionsMap: { service: serviceName },
    statistic: 'Sum',
    period: ALARM_PERIOD,
    ...options,
  });
}

export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly refreshFailedAlarm?: Alarm;
  readonly serverErrorAlarm?: Alarm;
  readonly dashboard?: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const metric = (name: MetricName) => businessMetric(props.namespace, props.serviceName, name);

    if (props.alarms) {
      const alarm = (alarmId: string, description: string, m: IMetric, threshold: number): Alarm => {
        const created = new Alarm(this, alarmId, {
          alarmDescription: `${props.serviceName}: ${description}`,
          metric: m,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          // No data means nothing happened: no failures, no errors.
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        if (props.alarmTopic) {
          created.addAlarmAction(new SnsAction(props.alarmTopic));
          created.addOkAction(new SnsAction(props.alarmTopic));
        }
        this.alarms.push(created);
        return created;
      };

      this.refreshFailedAlarm = alarm(
        'RefreshFailedAlarm',
        `more than ${props.refreshFailureThreshold} token refreshes failed in 5 minutes`,
        metric(METRIC.refreshFailed),
        props.refreshFailureThreshold,
      );
      if (props.httpApi) {
        this.serverErrorAlarm = alarm(
          'ServerErrorAlarm',
          `the API answered more than ${props.serverErrorThreshold} requests with 5xx in 5 minutes`,
          props.httpApi.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }),
          props.serverErrorThreshold,
        );
      }
      for (const [name, fn] of props.functions) {
        alarm(
          `${name}ErrorsAlarm`,
          `the ${name} function failed (an unhandled error, a timeout or a failed cold start)`,
          fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
          0,
        );
        alarm(
          `${name}ThrottlesAlarm`,
          `the ${name} function was throttled`,
          fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
          0,
        );
      }
    }

    if (props.dashboard) {
      const fns = [...props.functions];
      const dashboard = new Dashboard(this, 'Dashboard');
      dashboard.addWidgets(
        new TextWidget({ markdown: `# OAuth backend \`${props.serviceName}\``, width: 24, height: 1 }),
      );
      dashboard.addWidgets(
        new GraphWidget({
          title: 'Logins',
          left: [metric(METRIC.loginStarted), metric(METRIC.loginCompleted), metric(METRIC.loginFailed)],
          width: 8,
        }),
        new GraphWidget({
          title: 'Refreshes and ended sessions',
          left: [metric(METRIC.refreshSucceeded), metric(METRIC.refreshFailed), metric(METRIC.sessionEnded)],
          width: 8,
        }),
        props.httpApi
          ? new GraphWidget({
              title: 'API requests',
              left: [
                props.httpApi.metricCount({ period: ALARM_PERIOD }),
                props.httpApi.metricClientError({ period: ALARM_PERIOD }),
                props.httpApi.metricServerError({ period: ALARM_PERIOD }),
              ],
              right: [props.httpApi.metricLatency({ period: ALARM_PERIOD, statistic: 'p99' })],
              width: 8,
            })
          : new TextWidget({ markdown: 'The API belongs to the embedding app.', width: 8 }),
      );
      dashboard.addWidgets(
        new GraphWidget({
          title: 'Function errors',
          left: fns.map(([name, fn]) => fn.metricErrors({ period: ALARM_PERIOD, label: name })),
          width: 8,
        }),
        new GraphWidget({
          title: 'Function throttles',
          left: fns.map(([name, fn]) => fn.metricThrottles({ period: ALARM_PERIOD, label: name })),
          width: 8,
        }),
        new GraphWidget({
          title: 'Function duration (p99)',
          left: fns.map(([name, fn]) =>
            fn.metricDuration({ period: ALARM_PERIOD, statistic: 'p99', label: name }),
          ),
          width: 8,
        }),
      );
      dashboard.addWidgets(
        // Cold starts that compiled their bundle (no usable V8 code cache: a runtime update), which
        // take longer: rebuild with this package's release for that runtime, or pin the runtime.
        new GraphWidget({
          title: 'Cold starts without the code cache',
          left: [metric(METRIC.codeCacheMissed)],
          width: 8,
        }),
        ...(props.apiProxy
          ? [new GraphWidget({ title: 'API proxy requests', left: [metric(METRIC.apiProxied)], width: 8 })]
          : []),
      );
      if (this.alarms.length > 0) {
        dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
      }
      this.dashboard = dashboard;
    }
  }
}
