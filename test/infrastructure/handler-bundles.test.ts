import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { expect } from 'chai';
import { LogPipelineStack } from '../../infrastructure/lib/log-pipeline-stack.js';
import { cdkJsonContext } from './stack-fixture.js';

const MAX_BUNDLE_BYTES = 2 * 1024 * 1024;

type Handler = (event: unknown) => Promise<unknown>;

/** Environment the deployed functions get (values as CloudFormation would resolve them); nothing is contacted. */
const DEPLOYED_ENVIRONMENT: Record<string, string> = {
  LOGBATCH_TABLE_NAME: 'LogBatch-Table',
  LOGBATCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks',
  LOGBATCH_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks-dlq',
  LOGBATCH_MAX_RECEIVE_COUNT: '5',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

describe('LogPipelineStack', () => {
  describe('handler bundles (real esbuild bundling, as `npm run synth` does)', function () {
    // Two esbuild runs of the real handlers; a few seconds each on an idle machine.
    this.timeout(180_000);
    let outdir: string;
    const bundles: Record<'splitter' | 'worker', string> = { splitter: '', worker: '' };
    const savedEnvironment: Record<string, string | undefined> = {};

    before(() => {
      const app = new App({ context: cdkJsonContext() });
      const stack = new LogPipelineStack(app, 'LogBatchBundles');
      const assembly = app.synth();
      outdir = assembly.directory;
      const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<
        string,
        { Type: string; Properties: { Code: { S3Key: string } } }
      >;
      for (const [logicalId, resource] of Object.entries(resources)) {
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        const name = logicalId.startsWith('LogSplitterLambda') ? 'splitter' : 'worker';
        // The code's S3 key is `<asset hash>.zip`; the staged bundle is `asset.<asset hash>/` in the assembly.
        bundles[name] = join(outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs');
      }
      for (const [name, value] of Object.entries(DEPLOYED_ENVIRONMENT)) {
        savedEnvironment[name] = process.env[name];
        process.env[name] = value;
      }
    });

    after(() => {
      for (const [name, value] of Object.entries(savedEnvironment)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
    });

    it('writes one minified ES module under 2 MB per function', () => {
      for (const [name, file] of Object.entries(bundles)) {
        const size = statSync(file).size;
        expect(size, `${name} bundle bytes`).to.be.greaterThan(50_000).and.lessThan(MAX_BUNDLE_BYTES);
      }
    });

    it('bundles only the SDK clients each handler uses (no S3 in the worker, no Secrets Manager in the splitter)', () => {
      // keepNames keeps each client class's name as a string in the minified bundle.
      const clientsIn = (file: string) =>
        ['S3Client', 'SQSClient', 'DynamoDBClient', 'SecretsManagerClient'].filter((name) => readFileSync(file, 'utf8').includes(`"${name}"`));

      expect(clientsIn(bundles.splitter), 'splitter').to.deep.equal(['S3Client', 'SQSClient', 'DynamoDBClient']);
      expect(clientsIn(bundles.worker), 'worker').to.deep.equal(['SQSClient', 'DynamoDBClient', 'SecretsManagerClient']);
    });

    it('loads Node\'s built-ins with require(), not as ES modules (whose node:http facade loads undici on Node 22)', () => {
      for (const [name, file] of Object.entries(bundles)) {
        const source = readFileSync(file, 'utf8');
        expect(source.match(/(?<=^|[;\n}])import\s*(\{[^}]*\}|\*\s*as\s+[\w$]+|[\w$]+)\s*from\s*"node:[^"]+"/gm), name).to.equal(null);
        expect(source, name).to.include('=require("node:http")');
      }
    });

    it('loads the splitter bundle and answers S3\'s test event after wiring its container', async () => {
      const { handler } = (await import(pathToFileURL(bundles.splitter).href)) as { handler: Handler };

      const result = await handler({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'ingest' });

      expect(result).to.deep.include({ outcomes: [] });
    });

    it('loads the worker bundle and answers an empty SQS batch after wiring its container', async () => {
      const { handler } = (await import(pathToFileURL(bundles.worker).href)) as { handler: Handler };

      const result = await handler({ Records: [] });

      expect(result).to.deep.equal({ batchItemFailures: [] });
    });
  });
});
