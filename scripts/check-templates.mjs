// Validates the CloudFormation templates under examples/ with cfn-lint (a Python tool: `pip install
// cfn-lint`). Where it is not installed, says so and skips: the CDK example is checked by the test
// suite either way.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const templates = readdirSync('examples')
  .map((folder) => join('examples', folder, 'template.yaml'))
  .filter((path) => existsSync(path));
if (templates.length === 0) {
  console.error('check:templates: no examples/*/template.yaml found');
  process.exit(1);
}

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
if (version.error) {
  console.log(
    `check:templates: SKIPPED, cfn-lint is not installed (pip install cfn-lint); not checked: ${templates.join(', ')}`,
  );
  process.exit(0);
}

console.log(`check:templates: ${version.stdout.trim()} on ${templates.join(', ')}`);
const lint = spawnSync('cfn-lint', templates, { stdio: 'inherit' });
if (lint.status === 0)
  console.log(`check:templates: cfn-lint found no problem in ${templates.length} template(s)`);
process.exit(lint.status ?? 1);
