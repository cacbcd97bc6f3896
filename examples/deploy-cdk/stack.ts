import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LambdaTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

/** The path of the health check; the app in handler.ts answers it. */
export const HEALTH_CHECK_PATH = '/health';

/**
 * An Express app on Lambda (Node.js 24) behind an internet-facing Application Load Balancer:
 * HTTP listener on port 80, a Lambda target group with multi-value headers, a health check.
 */
export class AlbFunctionStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const fn = new NodejsFunction(this, 'Function', {
      entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      memorySize: 512,
      // The ALB waits for the function as long as it runs; keep this under the ALB's idle timeout
      // (60 s by default), and toLambda answers 504 half a second before it.
      timeout: Duration.seconds(30),
    });

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', { vpc, internetFacing: true });
    const listener = alb.addListener('Http', { port: 80, open: true });

    const targets = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      targetType: elbv2.TargetType.LAMBDA,
      // Adds the permission for elasticloadbalancing.amazonaws.com to invoke the function.
      targets: [new LambdaTarget(fn)],
      // lambda.multi_value_headers.enabled: every Set-Cookie and repeated query key reaches the app.
      multiValueHeadersEnabled: true,
      healthCheck: {
        enabled: true,
        path: HEALTH_CHECK_PATH,
        interval: Duration.seconds(60),
        timeout: Duration.seconds(30),
        healthyHttpCodes: '200',
      },
    });
    listener.addTargetGroups('Default', { targetGroups: [targets] });

    new CfnOutput(this, 'Url', { value: `http://${alb.loadBalancerDnsName}/` });
  }
}
