// One Lambda execution environment of a rehearsed function: a worker thread with the function's own environment,
// running the staged bundle under bare Node (no tsx loader, no repository node_modules in reach), as Lambda would.
// Plain JavaScript on purpose: a TypeScript loader here could resolve an import that esbuild failed to bundle.
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';

const { handlerFile, exportName, context: staticContext } = workerData;
let handlerPromise;

function loadHandler() {
  handlerPromise ??= import(pathToFileURL(handlerFile).href).then((module) => {
    const handler = module[exportName];
    if (typeof handler !== 'function') {
      throw Object.assign(new Error(`${handlerFile} does not export a function named ${exportName}`), { name: 'Runtime.HandlerNotFound' });
    }
    return handler;
  });
  // A failed init is retried on the next invocation, as Lambda re-initialises.
  handlerPromise.catch(() => {
    handlerPromise = undefined;
  });
  return handlerPromise;
}

parentPort.on('message', async ({ id, event, timeoutMs, requestId }) => {
  const heapMb = () => Math.round(getHeapStatistics().used_heap_size / (1024 * 1024));
  try {
    // Lambda's init phase has its own limit; the function's Timeout counts from the handler's start.
    const handler = await loadHandler();
    const deadline = Date.now() + timeoutMs;
    parentPort.postMessage({ id, started: true, deadline });
    const context = {
      ...staticContext,
      awsRequestId: requestId,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)), heapMb: heapMb() });
  } catch (error) {
    parentPort.postMessage({
      id,
      ok: false,
      error: { errorType: error?.name ?? typeof error, errorMessage: String(error?.message ?? error), stack: String(error?.stack ?? '') },
      heapMb: heapMb(),
    });
  }
});
