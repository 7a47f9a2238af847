import { expect } from 'chai';
import { integerOption, memoryBudgetFromEnvironment } from '../../../src/cli/numeric-options.js';
import { UsageError } from '../../../src/cli/usage-error.js';

describe('numeric options', () => {
  describe('integerOption', () => {
    it('takes decimal digits only, within bounds', () => {
      const parse = integerOption('--limit', { max: 100 });

      expect(parse('7')).to.equal(7);
      for (const value of ['0', '101', '1e1', '0x10', '2.5', '', ' ']) expect(() => parse(value), value).to.throw('--limit must be an integer between 1 and 100');
    });
  });

  describe('memoryBudgetFromEnvironment (LOGBATCH_MEMORY_BUDGET_MB)', () => {
    const budget = (value: string | undefined) => memoryBudgetFromEnvironment({ LOGBATCH_MEMORY_BUDGET_MB: value }, 160);

    it('is the default when unset or empty, none for 0, else whole MB', () => {
      expect(budget(undefined)).to.equal(160);
      expect(budget('')).to.equal(160);
      expect(budget('0')).to.equal(undefined);
      expect(budget('256')).to.equal(256);
      // As the Lambda configuration's whole numbers: blanks around the digits are ignored.
      expect(budget(' 64 ')).to.equal(64);
    });

    it('refuses anything but decimal digits, as the Lambda configuration does, naming the variable', () => {
      for (const value of ['1e3', '0x10', '0b1', '1.5', '-1', '+5', '12MB', 'Infinity', '99999999999999999999']) {
        expect(() => budget(value), value).to.throw(UsageError, `LOGBATCH_MEMORY_BUDGET_MB must be a whole number of MB (0: no bound), not ${value}`);
      }
      // A blank value is no number at all (Number(" ") is 0, which would mean no bound).
      expect(() => budget(' ')).to.throw(UsageError, 'LOGBATCH_MEMORY_BUDGET_MB must be a whole number of MB (0: no bound), not " "');
    });
  });
});
