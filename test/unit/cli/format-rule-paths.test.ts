import { expect } from 'chai';
import { localPathRules } from '../../../src/cli/run.command.js';
import { formatFromKey, parseFormatRules } from '../../../src/domain/parsing/key-rules.js';
import { emulatorObjectKey } from '../../../src/local/run-emulator-pipeline.js';

const cwd = '/home/ops/logs';
const files = ['/home/ops/logs/nginx/access.log', '/home/ops/logs/app/orders.log', '/srv/AWSLogs/123456789012/elasticloadbalancing/eu-west-1/a.log'];
const globs = ['nginx/**=combined', '/srv/**/a.log=json', '**/orders.log=logfmt'];

/** The format each file gets from the rules on a backend, the key as that backend names the file. */
function formats(backend: 'memory' | 'emulator'): Array<string | undefined> {
  const rules = localPathRules(parseFormatRules(globs), backend, cwd);
  return files.map((file, index) => formatFromKey(backend === 'emulator' ? emulatorObjectKey(index, file) : file, rules));
}

describe('--format-rule globs against the keys of each local backend', () => {
  it('names an emulator upload uploads/<n> and the absolute path', () => {
    expect(files.map((file, index) => emulatorObjectKey(index, file))).to.deep.equal([
      'uploads/1/home/ops/logs/nginx/access.log',
      'uploads/2/home/ops/logs/app/orders.log',
      'uploads/3/srv/AWSLogs/123456789012/elasticloadbalancing/eu-west-1/a.log',
    ]);
  });

  it('matches relative, absolute and ** globs alike on the memory backend and the emulator', () => {
    expect(formats('memory')).to.deep.equal(['combined', 'logfmt', 'json']);
    expect(formats('emulator')).to.deep.equal(formats('memory'));
  });

  it('leaves an AWS delivery layout in the path to be recognised on the emulator, as on the memory backend', () => {
    expect(formatFromKey(emulatorObjectKey(2, files[2]))).to.equal('alb');
    expect(formatFromKey(files[2])).to.equal('alb');
  });

  it('does not match a relative glob against a file outside the working directory', () => {
    const rules = localPathRules(parseFormatRules(['access.log=combined']), 'emulator', cwd);

    expect(formatFromKey(emulatorObjectKey(0, '/home/ops/logs/access.log'), rules)).to.equal('combined');
    expect(formatFromKey(emulatorObjectKey(0, '/tmp/access.log'), rules)).to.equal(undefined);
  });
});
