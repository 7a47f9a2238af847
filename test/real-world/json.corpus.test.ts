import { expect } from 'chai';
import { parseJsonLine } from '../../src/domain/parsing/json.parser.js';
import { listCorpusDir, readCorpusText } from './corpus-files.js';

const DIRECTORY = 'jsonl/JSONTestSuite/test_parsing';
const context = { observedAt: new Date('2024-06-15T12:00:00Z') };

function filesStartingWith(prefix: string): string[] {
  return listCorpusDir(DIRECTORY).filter((name) => name.startsWith(prefix));
}

/** A file's whole content as one event, decoded as the pipeline decodes (UTF-8 with replacement). */
function parseFile(name: string): ReturnType<typeof parseJsonLine> {
  return parseJsonLine(readCorpusText(`${DIRECTORY}/${name}`), context);
}

describe('parseJsonLine (corpus)', () => {
  describe('JSONTestSuite', () => {
    it('parses every y_ file, scalars and arrays included', () => {
      const files = filesStartingWith('y_');

      const rejected = files.filter((name) => !parseFile(name).ok);

      expect(files.length).to.be.greaterThan(90);
      expect(rejected).to.deep.equal([]);
    });

    it('returns ok:false with a reason, never throws, for every n_ file', () => {
      const files = filesStartingWith('n_');

      const accepted: string[] = [];
      for (const name of files) {
        const result = parseFile(name);
        if (result.ok) accepted.push(name);
        else expect(result.error).to.match(/^invalid JSON: /);
      }

      expect(files.length).to.be.greaterThan(180);
      expect(accepted).to.deep.equal([]);
    });

    it('returns a result, never throws, for every i_ file', () => {
      const files = filesStartingWith('i_');

      const results = files.map((name) => parseFile(name));

      expect(results.every((result) => typeof result.ok === 'boolean')).to.equal(true);
      expect(files.length).to.be.greaterThan(30);
    });
  });
});
