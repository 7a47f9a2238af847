import { expect } from 'chai';
import { apiWording } from '../../../src/ui/ui-server.js';

describe('apiWording', () => {
  it('names the API parameters where a query error names the command line flags', () => {
    expect(apiWording('--severity "loud": unknown severity: use trace, debug, info, warn, error, fatal or a number from 1 to 24')).to.equal(
      'severity "loud": unknown severity: use trace, debug, info, warn, error, fatal or a number from 1 to 24',
    );
    expect(apiWording('--since must be before --until')).to.equal('since must be before until');
    expect(apiWording('--from-line must be a positive integer')).to.equal('fromLine must be a positive integer');
    expect(apiWording('--cursor is not a cursor this command printed')).to.equal('cursor is not a cursor an earlier page returned');
  });

  it('leaves quoted values as given, and words that only contain a flag name', () => {
    expect(apiWording('--where "a--since=1 --grep": expected KEY=VALUE')).to.equal('where "a--since=1 --grep": expected KEY=VALUE');
    expect(apiWording('buckets must be an integer between 1 and 500')).to.equal('buckets must be an integer between 1 and 500');
    expect(apiWording('x--since --sinceX --scan')).to.equal('x--since --sinceX --scan');
  });
});
