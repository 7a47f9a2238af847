import { Command } from 'commander';

/** `logbatch emulator`: an emulated stack that processes what is put into its bucket, until Ctrl-C. */
export function emulatorCommand(): Command {
  return new Command('emulator')
    .description('run fauxqs (S3, SQS) and DynamoDB Local with the pipeline on them, until interrupted')
    .action(async () => {
      process.stderr.write('starting fauxqs and DynamoDB Local...\n');
      const { startEmulatorSession } = await import('../local/emulator-session.js');
      const session = await startEmulatorSession({ onError: (message) => process.stderr.write(`pipeline: ${message}\n`) });
      const { stack } = session;
      const exports = Object.entries(stack.environment)
        .map(([name, value]) => `export ${name}=${value}`)
        .join('\n');
      process.stdout.write(
        [
          'logbatch emulated stack is up.',
          '',
          `  S3 + SQS (fauxqs)   ${stack.endpoints.s3}`,
          `  DynamoDB Local      ${stack.endpoints.dynamodb}`,
          `  bucket              ${stack.names.bucket}`,
          `  chunk queue         ${stack.names.queueUrl}`,
          `  dead-letter queue   ${stack.names.dlqUrl}`,
          `  continuation queue  ${stack.names.continuationQueueUrl}`,
          `  table               ${stack.names.tableName}`,
          '',
          'In another shell:',
          exports,
          `aws s3 cp app.log s3://${stack.names.bucket}/app.log     # objects put here are split and processed`,
          'npx logbatch batches',
          'npx logbatch status <batchId>',
          'npx logbatch dlq list',
          '',
          'Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.stderr.write('stopping...\n');
      await session.stop();
    });
}
