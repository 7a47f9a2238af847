import { expect } from 'chai';
import { renderTable } from '../../../src/cli/render-table.js';
import { displayWidth } from '../../../src/cli/terminal-text.js';

describe('renderTable', () => {
  it('escapes control characters in every cell, the header too', () => {
    const table = renderTable(['batch\x1b[1m', 'reason'], [['b\x1b]0;T\x07', 'bad \r\x1b[2J']]);
    expect(table).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(table).to.include('batch\\x1b[1m').and.include('b\\x1b]0;T\\x07').and.include('bad \\r\\x1b[2J');
  });

  it('aligns columns by display width, wide characters included', () => {
    const table = renderTable(['name', 'n'], [['中文.log', '1'], ['a.log', '2'], ['😀', '3']]);
    const lines = table.split('\n');
    const column = (line: string) => displayWidth(line.slice(0, line.lastIndexOf(' ') + 1));
    expect(new Set(lines.filter((line) => !line.startsWith('-')).map(column)).size).to.equal(1);
    expect(lines[1]).to.equal(`${'-'.repeat(8)}  -`);
  });
});
