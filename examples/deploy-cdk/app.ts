// The CDK app: `npx cdk deploy` (cdk.json runs this file through tsx).
import { App } from 'aws-cdk-lib';
import { AlbFunctionStack } from './stack.js';

const app = new App();
new AlbFunctionStack(app, 'LambdaBridgeAlb');
