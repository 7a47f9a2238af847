import { expect } from 'chai';
import { parseLogfmtLine } from '../../src/domain/parsing/logfmt.parser.js';
import { caseInput, readCorpusJsonl } from './corpus-files.js';

interface GoLogfmtCase {
  test: string;
  input?: string;
  input_b64?: string;
  expected_records?: Array<Array<[string, string | null]> | null> | null;
  expected_error?: { msg: string; line: number; pos: number };
}

const context = { observedAt: new Date('2024-06-15T12:00:00Z') };
const cases = readCorpusJsonl<GoLogfmtCase>('logfmt/go_logfmt/go_logfmt_decode_tests.jsonl');

/** go-logfmt reads a stream; logbatch gets it line by line, as the splitter cuts it. */
function linesOf(testCase: GoLogfmtCase): string[] {
  return caseInput(testCase).split('\n');
}

/** A record's pairs as logbatch stores them: bare keys are `true`, `key=` is `""`; go-logfmt says null for both. */
function pairsOf(attributes: Record<string, unknown>, body: string, line: string): Array<[string, string | null]> {
  const pairs: Array<[string, string | null]> = Object.entries(attributes).map(([key, value]) => [
    key,
    value === true || value === '' ? null : (value as string),
  ]);
  if (body !== line) pairs.push(['msg', body]);
  return pairs;
}

describe('parseLogfmtLine (corpus)', () => {
  describe('go-logfmt decoder cases', () => {
    it('decodes every scan case line to go-logfmt\'s pairs', () => {
      const scanCases = cases.filter((testCase) => testCase.expected_records !== undefined && testCase.expected_records !== null);
      let records = 0;

      for (const testCase of scanCases) {
        const lines = linesOf(testCase);
        testCase.expected_records!.forEach((expected, index) => {
          const line = lines[index];
          if (expected === null) {
            expect(line.trim(), 'a null record is a blank line').to.equal('');
            return;
          }
          const result = parseLogfmtLine(line, context);
          if (!result.ok) expect.fail(`${JSON.stringify(line)} was rejected: ${result.error}`);
          if (expected.length === 1 && expected[0][1] === null && !line.includes('=')) {
            // A lone bare word is prose to logbatch, not logfmt: it becomes a text record (see the parser's doc).
            expect(result.format).to.equal('text');
            return;
          }
          // Duplicate keys (`y=... y=g`) keep the last value in attributes: compare against the last occurrence.
          const expectedLast = new Map(expected.map(([key, value]) => [key, value]));
          expect(new Map(pairsOf(result.record.attributes, result.record.body, line))).to.deep.equal(expectedLast);
          records++;
        });
      }

      expect(records).to.be.at.least(10);
    });

    it('rejects the line of every syntax-error case with a reason and accepts the lines before it', () => {
      const errorCases = cases.filter((testCase) => testCase.expected_error !== undefined);

      for (const testCase of errorCases) {
        const lines = linesOf(testCase);
        const failingLine = testCase.expected_error!.line - 1;
        lines.forEach((line, index) => {
          const result = parseLogfmtLine(line, context);
          if (index === failingLine) {
            expect(result.ok, JSON.stringify(line)).to.equal(false);
            expect(!result.ok && result.error).to.match(/unexpected|invalid|unterminated/);
          } else {
            expect(result.ok, JSON.stringify(line)).to.equal(true);
          }
        });
      }
      expect(errorCases.length).to.be.at.least(10);
    });
  });
});
