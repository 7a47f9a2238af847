import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type EmulatorStack, type ResourceNames, startEmulatorStack } from '../../src/local/emulator-stack.js';

let shared: Promise<EmulatorStack> | undefined;
let resourceSequence = 0;

/**
 * The emulator stack shared by every test of a run: started on first use (fauxqs in-process, DynamoDB Local in a
 * JVM, ~2 s), stopped by the root-level `after` hook below once all tests have run, failed ones included.
 */
export function sharedEmulatorStack(): Promise<EmulatorStack> {
  shared ??= startEmulatorStack({ prefix: 'logbatch-test' });
  return shared;
}

// Registered when a test file first imports this module, at the root suite: runs once, after every test.
if (typeof after === 'function') {
  after(async function stopSharedEmulatorStack() {
    this.timeout(30_000);
    if (shared === undefined) return;
    const stack = await shared.catch(() => undefined);
    shared = undefined;
    await stack?.stop();
  });
}

/** A short, unique, lowercase resource prefix (bucket names allow 63 characters, queue names 80). */
export function uniqueResourcePrefix(label: string): string {
  resourceSequence += 1;
  return `t${Date.now().toString(36)}${resourceSequence}-${label}`.toLowerCase().slice(0, 40);
}

/** Fresh, empty resources (bucket, chunk queue + DLQ, table) in the shared emulators, for one test. */
export async function isolatedResources(
  label: string,
  options?: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number },
): Promise<{ stack: EmulatorStack; names: ResourceNames; cleanup: () => Promise<void> }> {
  const stack = await sharedEmulatorStack();
  const names = await stack.createResources(uniqueResourcePrefix(label), options);
  return { stack, names, cleanup: () => stack.deleteTable(names.tableName) };
}

/** Uploads an object to the emulated S3. */
export async function putObject(stack: EmulatorStack, bucket: string, key: string, content: Buffer | string): Promise<void> {
  await stack.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content }));
}
