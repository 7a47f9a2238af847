import { parseArgs } from 'node:util';
import { formatReport, readAssembly, rehearse, synthesizeApp } from './rehearsal.js';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

/**
 * `npm run rehearse [-- --assembly cdk.out] [--scenario NAME ...] [-c key=value ...]`: synthesizes the app (or reads
 * an assembly `cdk synth` wrote), deploys it onto fauxqs and DynamoDB Local, runs the scenarios through the staged
 * bundles with every AWS call checked against the template's IAM, prints the report and exits 1 if it failed.
 */
const { values } = parseArgs({
  options: {
    assembly: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    context: { type: 'string', short: 'c', multiple: true },
  },
});
const unknown = (values.scenario ?? []).filter((name) => !(SCENARIO_NAMES as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIO_NAMES.join(', ')}`);
  process.exit(2);
}
const context = Object.fromEntries((values.context ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
const app = values.assembly === undefined ? synthesizeApp(context) : readAssembly(values.assembly);
try {
  const report = await rehearse(app, {
    scenarios: values.scenario as ScenarioName[] | undefined,
    log: (line) => console.error(line),
  });
  console.log(formatReport(report));
  process.exitCode = report.passed ? 0 : 1;
} finally {
  app.cleanup();
}
