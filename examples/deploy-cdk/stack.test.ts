import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createAlbEvent, createContext } from 'lambda-bridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from './handler.js';
import { AlbFunctionStack, HEALTH_CHECK_PATH } from './stack.js';

// The synthesized CloudFormation, checked without an AWS account. Bundling is skipped: the test
// checks the resources, not the bundle.
let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new AlbFunctionStack(app, 'Test'));
}, 120_000);

const onlyId = (type: string) => {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('the CDK deployment example', () => {
  it('has one Node.js 24 function whose handler is the bundle’s handler export', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: 30,
    });
  });

  it('puts an internet-facing ALB with an HTTP listener on port 80 in front of it', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'forward', TargetGroupArn: { Ref: onlyId('AWS::ElasticLoadBalancingV2::TargetGroup') } },
      ],
    });
  });

  it('targets the function from a Lambda target group with multi-value headers and a health check', () => {
    const fn = onlyId('AWS::Lambda::Function');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      Targets: [{ Id: { 'Fn::GetAtt': [fn, 'Arn'] } }],
      TargetGroupAttributes: Match.arrayWith([{ Key: 'lambda.multi_value_headers.enabled', Value: 'true' }]),
      HealthCheckEnabled: true,
      HealthCheckPath: HEALTH_CHECK_PATH,
      Matcher: { HttpCode: '200' },
    });
  });

  it('lets elasticloadbalancing.amazonaws.com invoke the function before the target is registered', () => {
    const fn = onlyId('AWS::Lambda::Function');
    const permissions = template.findResources('AWS::Lambda::Permission', {
      Properties: {
        Action: 'lambda:InvokeFunction',
        Principal: 'elasticloadbalancing.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
      },
    });
    const [permission] = Object.keys(permissions);
    expect(permission).toBeDefined();
    const group = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(Object.values(group)[0].DependsOn).toContain(permission);
  });

  it('health-checks a path the app answers with 200', async () => {
    const group = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0];
    const path: string = group.Properties.HealthCheckPath;
    const event = createAlbEvent(
      { url: path, headers: { 'user-agent': 'ELB-HealthChecker/2.0' } },
      { multiValueHeaders: true },
    );
    const result = await handler(event, createContext());
    expect(result.statusCode).toBe(200);
    expect(result.multiValueHeaders?.['content-type']).toEqual(['text/plain; charset=utf-8']);
    expect(result.body).toBe('ok');
  });

  it('serves the app through the ALB event, with the host the client sent', async () => {
    const result = await handler(
      createAlbEvent({ url: '/?name=alb', headers: { host: 'my-alb-123.eu-west-1.elb.amazonaws.com' } }),
      createContext(),
    );
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({
      hello: 'alb',
      host: 'my-alb-123.eu-west-1.elb.amazonaws.com',
    });
  });
});
