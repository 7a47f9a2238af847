import { loadConfig } from '../config/config.js';
import type { SplitLogObject } from '../application/split-log-object.use-case.js';
import { awsModule } from '../di/aws.module.js';
import { createContainer } from '../di/container.js';
import { TOKENS } from '../di/tokens.js';
import { createPowertoolsTelemetry, SPLITTER_SERVICE_NAME } from './powertools-telemetry.js';
import type { SplitterDependencies } from './splitter.js';

/**
 * Cold-start wiring of the deployed splitter: configuration from the environment (validated, with a clear error
 * naming a bad variable), the S3, SQS and DynamoDB adapters, and Powertools telemetry. Apart from the worker's
 * (lambda-runtime.ts), so the splitter's bundle does not carry the Secrets Manager client.
 */
export function resolveSplitter(): SplitterDependencies {
  const config = loadConfig(process.env);
  return {
    splitLogObject: createContainer({ adapters: awsModule(config), settings: config.pipeline }).get<SplitLogObject>(TOKENS.SplitLogObject),
    telemetry: createPowertoolsTelemetry(SPLITTER_SERVICE_NAME),
  };
}
