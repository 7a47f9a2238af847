import { expect } from 'chai';
import fc from 'fast-check';
import { cutEnd, cutStart, displayWidth, padEndTo, padStartTo, terminalShellWord, terminalText } from '../../../src/cli/terminal-text.js';

/** What must never reach a terminal raw: C0, DEL, C1, and the bidi embeddings, overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('terminal text', () => {
  describe('terminalText', () => {
    it('escapes ESC, BEL, CR, LF, TAB, BS, NUL and DEL visibly, as \\xNN or their usual letter', () => {
      expect(terminalText('red \x1b[31mALERT\x1b[0m')).to.equal('red \\x1b[31mALERT\\x1b[0m');
      expect(terminalText('\x1b]0;PWNED-TITLE\x07')).to.equal('\\x1b]0;PWNED-TITLE\\x07');
      expect(terminalText('a\rb\nc\td')).to.equal('a\\rb\\nc\\td');
      expect(terminalText('back\b\b\x00\x7f')).to.equal('back\\x08\\x08\\x00\\x7f');
    });

    it('escapes C1 controls and bidi embeddings, overrides and isolates as \\uNNNN', () => {
      expect(terminalText('\u009b31m \u0085 \u0080 \u009f')).to.equal('\\u009b31m \\u0085 \\u0080 \\u009f');
      for (const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
        expect(terminalText(`a${String.fromCodePoint(code)}b`)).to.equal(`a\\u${code.toString(16)}b`);
      }
    });

    it('keeps printable text as it is: accents, CJK, emoji, backslashes, other format characters', () => {
      for (const text of ['héllo wörld', '中文 テキスト', '😀 👨‍👩‍👧 🇫🇷', 'C:\\Users\\x1b', 'a\u200fb\u00a0c', '']) expect(terminalText(text)).to.equal(text);
    });

    it('leaves nothing unsafe, and escaping twice changes nothing', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (text) => {
          const escaped = terminalText(text);
          expect(escaped).to.not.match(UNSAFE);
          expect(terminalText(escaped)).to.equal(escaped);
        }),
      );
    });
  });

  describe('displayWidth', () => {
    it('counts terminal columns: wide CJK and emoji as two, combining marks as none', () => {
      expect(displayWidth('')).to.equal(0);
      expect(displayWidth('abc')).to.equal(3);
      expect(displayWidth('中文')).to.equal(4);
      expect(displayWidth('😀')).to.equal(2);
      expect(displayWidth('🫠')).to.equal(2);
      expect(displayWidth('❤️')).to.equal(2);
      expect(displayWidth('👨‍👩‍👧')).to.equal(2);
      expect(displayWidth('🇫🇷')).to.equal(2);
      expect(displayWidth('e\u0301')).to.equal(1);
      expect(displayWidth('…')).to.equal(1);
    });
  });

  describe('cutEnd and cutStart', () => {
    it('cut to a display width with …, never inside a character', () => {
      expect(cutEnd('abcdef', 4)).to.equal('abc…');
      expect(cutEnd('abcdef', 6)).to.equal('abcdef');
      expect(cutEnd('中文中文', 5)).to.equal('中文…');
      expect(cutEnd('中文中文', 4)).to.equal('中…');
      expect(cutEnd('👨‍👩‍👧👨‍👩‍👧', 3)).to.equal('👨‍👩‍👧…');
      expect(cutEnd('abc', 1)).to.equal('…');
      expect(cutStart('logs/app.log:12', 11)).to.equal('…app.log:12');
      expect(cutStart('中文中文', 5)).to.equal('…中文');
    });

    it('never give more than the width, and give the text whole when it fits', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 40 }), (text, width) => {
          for (const cut of [cutEnd(text, width), cutStart(text, width)]) {
            expect(displayWidth(cut)).to.be.at.most(width);
            if (displayWidth(text) <= width) expect(cut).to.equal(text);
            else expect(cut).to.include('…');
          }
        }),
      );
    });
  });

  it('pads by display width', () => {
    expect(padEndTo('中', 4)).to.equal('中  ');
    expect(padStartTo('中', 4)).to.equal('  中');
    expect(padEndTo('abcdef', 4)).to.equal('abcdef');
  });

  describe('terminalShellWord', () => {
    it('quotes as the shell reads it, and writes control characters as $\'…\' escapes', () => {
      expect(terminalShellWord('logs.db')).to.equal('logs.db');
      expect(terminalShellWord("it's here")).to.equal(`'it'\\''s here'`);
      expect(terminalShellWord('a\x1b[2Jb')).to.equal(`$'a\\x1b[2Jb'`);
      expect(terminalShellWord("it's\x07 \\ \u202e")).to.equal(`$'it\\'s\\x07 \\\\ \\u202e'`);
    });
  });
});
