import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEALTH_CHECK_PATH } from '../deploy-cdk/stack.js';

// cfn-lint validates the template itself (`npm run check:templates`, run by CI); this holds it to
// the CDK example, whose synthesized stack and app the test suite checks.
const template = readFileSync(new URL('./template.yaml', import.meta.url), 'utf8');
const setting = (name: string) => new RegExp(`^\\s+${name}: (.+)$`, 'm').exec(template)?.[1];

describe('the SAM deployment example', () => {
  it('deploys the CDK example’s app on Node.js 24 with the same handler, timeout and health check', () => {
    expect(setting('CodeUri')).toBe('../deploy-cdk/');
    expect(setting('Handler')).toBe('handler.handler');
    expect(setting('Runtime')).toBe('nodejs24.x');
    expect(setting('Timeout')).toBe('30');
    expect(setting('HealthCheckPath')).toBe(HEALTH_CHECK_PATH);
    expect(setting('TargetType')).toBe('lambda');
  });

  it('enables multi-value headers and lets the load balancer invoke the function first', () => {
    expect(template).toMatch(/- Key: lambda\.multi_value_headers\.enabled\n\s+Value: "true"/);
    expect(setting('Principal')).toBe('elasticloadbalancing.amazonaws.com');
    expect(setting('DependsOn')).toBe('FunctionInvokePermission');
  });
});
