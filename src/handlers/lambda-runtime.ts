import { TOKENS } from '../di/tokens.js';
import { createContainer } from '../di/container.js';
import { awsModule } from '../di/aws.module.js';
import { loadConfig } from '../config/config.js';
import type { ProcessChunk } from '../application/process-chunk.use-case.js';
import type { SplitLogObject } from '../application/split-log-object.use-case.js';
import { createPowertoolsTelemetry, SPLITTER_SERVICE_NAME, WORKER_SERVICE_NAME } from './powertools-telemetry.js';

/**
 * Cold-start wiring of the deployed functions: configuration from the environment (validated, with a clear
 * error naming a bad variable), the AWS adapters, and Powertools telemetry.
 */
export function resolveLambdaContainer() {
  const config = loadConfig(process.env);
  return createContainer({ adapters: awsModule(config), settings: config.pipeline });
}

export function resolveSplitter() {
  return {
    splitLogObject: resolveLambdaContainer().get<SplitLogObject>(TOKENS.SplitLogObject),
    telemetry: createPowertoolsTelemetry(SPLITTER_SERVICE_NAME),
  };
}

export function resolveWorker() {
  return {
    processChunk: resolveLambdaContainer().get<ProcessChunk>(TOKENS.ProcessChunk),
    telemetry: createPowertoolsTelemetry(WORKER_SERVICE_NAME),
  };
}
