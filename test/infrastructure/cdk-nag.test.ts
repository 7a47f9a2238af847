import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { expect } from 'chai';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { LogPipelineStack } from '../../infrastructure/lib/log-pipeline-stack.js';
import { createStack } from './stack-fixture.js';

/** Every acknowledgement recorded with `Validations.of(...).acknowledge`, with the construct it was made on. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: unknown }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('LogPipelineStack', () => {
  describe('cdk-nag AwsSolutions', () => {
    let stack: LogPipelineStack;

    before(() => {
      stack = createStack({ alarmEmail: 'ops@example.com', ingestKeyPrefix: 'incoming/' });
    });

    it('reports no unacknowledged finding', () => {
      const report = new AwsSolutionsChecks().validateScope(stack);

      const findings = report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`);
      expect(findings).to.deep.equal([]);
      expect(report.success).to.equal(true);
    });

    it('acknowledges only the expected rules, each with a written reason', () => {
      const acknowledged = acknowledgements(stack);

      expect(acknowledged.map(({ path, id }) => `${path} ${id.replace(/\[Resource::.*\]$/, '[Resource::…]')}`).sort()).to.deep.equal([
        'LogBatchTest/Default/LogProcessorWorker/Handler/Function AwsSolutions-L1',
        'LogBatchTest/Default/LogSplitterLambda/Handler/Function AwsSolutions-L1',
        'LogBatchTest/Default/LogSplitterLambda/Handler/Role AwsSolutions-IAM5[Resource::…]',
      ]);
      for (const { id, reason } of acknowledged) {
        expect(reason, id).to.be.a('string').with.length.greaterThan(40);
      }
      expect(acknowledged.find(({ id }) => id.startsWith('AwsSolutions-IAM5'))?.id).to.match(/:s3:::logbatch-ingest-.*\/incoming\/\*\]$/);
    });

    it('fails synthesis of an app that registers the pack when a finding is not acknowledged (the check can fail)', () => {
      const app = new App();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      new Bucket(new Stack(app, 'Unhardened'), 'PlainBucket');

      expect(() => app.synth()).to.throw(/Validation failed/);
      const report = new AwsSolutionsChecks().validateScope(app);
      expect(report.violations.map((violation) => violation.ruleName)).to.include.members(['AwsSolutions-S1', 'AwsSolutions-S10']);
    });

    it('lets an app that registers the pack (as infrastructure/bin/app.ts does) synthesize the stack', () => {
      const app = stack.node.root as App;
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      const assembly = app.synth();

      expect(assembly.getStackByName(stack.stackName).template).to.have.property('Resources');
    });
  });
});
