import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LogPipelineStack } from '../lib/log-pipeline-stack.js';
import { contextErrorMessage, readStackContext } from '../lib/stack-context.js';
import { InvalidPropsError } from '../lib/validation.js';

/**
 * The logbatch CDK app (`cdk.json` runs it with tsx). cdk-nag's AwsSolutions pack runs as a policy validation
 * plugin during synthesis: an unacknowledged finding fails `cdk synth` and `cdk deploy`.
 */
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

try {
  const { stackName, props } = readStackContext(app.node);
  new LogPipelineStack(app, stackName, {
    ...props,
    description: 'logbatch: S3 log files -> SQS chunks -> parsed entries in DynamoDB',
    // Environment-agnostic unless the CLI knows the target account (nothing here looks anything up).
    env:
      process.env.CDK_DEFAULT_ACCOUNT !== undefined && process.env.CDK_DEFAULT_REGION !== undefined
        ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
        : undefined,
  });
} catch (error) {
  // A bad prop or context value is the user's input: one line naming it, not a stack trace.
  if (!(error instanceof InvalidPropsError)) throw error;
  process.stderr.write(`${contextErrorMessage(error, app.node)}\n`);
  process.exit(2);
}
