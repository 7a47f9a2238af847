import { expect } from 'chai';
import { formatReport, type RehearsalReport, rehearse, type SynthesizedApp, synthesizeApp } from '../../infrastructure/rehearsal/rehearsal.js';
import type { ScenarioName } from '../../infrastructure/rehearsal/scenarios.js';
import type { CfnResource, CfnTemplate } from '../../infrastructure/rehearsal/template.js';
import { sharedEmulatorStack } from '../helpers/emulators.js';

/** The function the ingest bucket notifies (the splitter) and the other one (the worker), found from the wiring. */
function functionsOf(template: CfnTemplate): { splitter: string; worker: string } {
  const functions = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function').map(([id]) => id);
  const notified = JSON.stringify(
    Object.values(template.Resources).find((resource) => resource.Type === 'AWS::S3::Bucket' && resource.Properties?.NotificationConfiguration !== undefined)
      ?.Properties?.NotificationConfiguration,
  );
  const splitter = functions.find((id) => notified.includes(`"${id}"`));
  const worker = functions.find((id) => id !== splitter);
  if (splitter === undefined || worker === undefined) throw new Error(`cannot tell the functions apart: ${functions.join(', ')}`);
  return { splitter, worker };
}

/** The identity policies attached to a function's role. */
function policiesOf(template: CfnTemplate, functionId: string): CfnResource[] {
  const role = (template.Resources[functionId].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.Resources).filter(
    (resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties?.Roles).includes(`"${role}"`),
  );
}

function copyOf(app: SynthesizedApp, change: (template: CfnTemplate) => void): SynthesizedApp {
  const template = structuredClone(app.template);
  change(template);
  return { ...app, template };
}

describe('Deployment rehearsal', function () {
  // One synthesis (two esbuild bundles) and four rehearsals on shared emulators; ~1 minute on a loaded machine.
  this.timeout(240_000);
  let app: SynthesizedApp;

  before(() => {
    app = synthesizeApp();
  });

  after(() => app?.cleanup());

  const run = async (candidate: SynthesizedApp, scenarios?: readonly ScenarioName[]): Promise<{ report: RehearsalReport; text: string }> => {
    const report = await rehearse(candidate, { emulators: await sharedEmulatorStack(), ...(scenarios === undefined ? {} : { scenarios }) });
    return { report, text: formatReport(report) };
  };

  describe('rehearse', () => {
    it('runs every scenario through the staged bundles with every call allowed, equal to the memory backend', async () => {
      const { report, text } = await run(app);

      expect(report.passed, text).to.equal(true);
      expect(report.scenarios.map((scenario) => scenario.name)).to.have.length(7);
      expect(report.denied).to.deep.equal([]);
      expect(text).to.include('calls by operation:').and.include('function code: s3:GetObject');
      expect(text).to.include('function code: dynamodb:BatchWriteItem');
      expect(text).to.include('event source mapping: sqs:DeleteMessageBatch');
      expect(text).to.include('least privilege');
    });

    it('fails naming the denied action and resource when one statement is removed from the worker role', async () => {
      const { worker } = functionsOf(app.template);
      const broken = copyOf(app, (template) => {
        for (const policy of policiesOf(template, worker)) {
          const document = policy.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[] }> };
          document.Statement = document.Statement.filter((statement) => !JSON.stringify(statement.Action).includes('dynamodb:'));
        }
      });

      const { report, text } = await run(broken, ['plain file']);

      expect(report.passed).to.equal(false);
      const denied = report.denied.filter((call) => call.principal === worker);
      expect(denied.map((call) => call.action)).to.include('dynamodb:BatchWriteItem');
      expect(denied.every((call) => /^arn:aws:dynamodb:[^:]+:\d+:table\//.test(call.resource))).to.equal(true);
      expect(text).to.match(/DENIED LogProcessorWorkerHandler\w* \(function code\) BatchWriteItem: dynamodb:BatchWriteItem on arn:aws:dynamodb:\S+:table\//);
      expect(text).to.include('would be allowed by { "Effect": "Allow", "Action": "dynamodb:BatchWriteItem", "Resource": {"Fn::GetAtt":["ProcessedLogsTable');
    });

    it('fails naming the variable when one environment variable is renamed', async () => {
      const { splitter } = functionsOf(app.template);
      const broken = copyOf(app, (template) => {
        const variables = (template.Resources[splitter].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
        variables.LOGBATCH_TABLE = variables.LOGBATCH_TABLE_NAME;
        delete variables.LOGBATCH_TABLE_NAME;
      });

      const { report, text } = await run(broken, ['plain file']);

      expect(report.passed).to.equal(false);
      expect(text).to.match(/failed on s3:ObjectCreated:Put .*LOGBATCH_TABLE_NAME is required/);
    });
  });

  for (const [trigger, path] of [
    ['eventbridge', /reached the splitter by eventbridge through TriggerQueue\w+: \{"status":"COMPLETED"/],
    ['sqs', /reached the splitter by sqs through TriggerQueue\w+: \{"status":"COMPLETED"/],
  ] as const) {
    describe(`rehearse with trigger ${trigger}`, () => {
      let triggered: SynthesizedApp;

      before(() => {
        triggered = synthesizeApp({ 'logbatch:trigger': trigger });
      });

      after(() => triggered?.cleanup());

      it('takes a new object to COMPLETED through the trigger queue, equal to the memory backend, and ignores the S3 test event', async () => {
        const { report, text } = await run(triggered, ['trigger path', 'S3 test event']);

        expect(report.passed, text).to.equal(true);
        expect(text).to.match(path);
        expect(text).to.match(/TriggerQueue\w+: 1 message batch\(es\) deleted by the splitter's event source mapping, 0 left/);
        // S3 sends its test event to notification targets only: through the sqs trigger's queue, never through EventBridge.
        if (trigger === 'sqs') expect(text).to.include('delivered to 1 target(s) (functions or queues); the splitter made 0 AWS call(s) for it');
        else expect(text).to.include('not applicable to the eventbridge trigger (S3 sends its test event only to notification targets): delivered to 0 target(s)');
        expect(report.denied).to.deep.equal([]);
      });

      it('fails naming the service when the trigger queue\'s policy does not let it send', async () => {
        const service = trigger === 'sqs' ? 's3.amazonaws.com' : 'events.amazonaws.com';
        const broken = copyOf(triggered, (template) => {
          for (const resource of Object.values(template.Resources).filter((candidate) => candidate.Type === 'AWS::SQS::QueuePolicy')) {
            const document = resource.Properties?.PolicyDocument as { Statement: Array<{ Principal?: unknown }> };
            document.Statement = document.Statement.filter((statement) => !JSON.stringify(statement.Principal ?? '').includes(service));
          }
        });

        const { report, text } = await run(broken, ['trigger path']);

        expect(report.passed).to.equal(false);
        expect(text).to.include(`${service} may not sqs:SendMessage on arn:aws:sqs:`);
      });
    });
  }
});
