/**
 * Characters from the most to the least frequent in log text (spaces, punctuation and digits first, then letters in
 * English order); a character not listed counts as rarer than all of them.
 */
const COMMON_FIRST = ' "-./:,=_0123456789etaoinshrdlcumwfgypbvkjxqz';

/**
 * One regular expression that finds any of `triggers` in a text: a trigger written in lower case matches in any
 * (ASCII) case, like a case-insensitive regular expression does; one with an upper-case letter matches exactly as
 * written (`AKIA`, `eyJ`). `extra` are regular-expression sources added as they are (`%[0-9a-fA-F]{2}`).
 *
 * For lower-case triggers it finds what `new RegExp(triggers.join('|'), 'i')` finds, about three times as fast on log
 * lines (docs/performance.md, "Redaction"): each trigger starts at its rarest character (see {@link chooseAnchors}),
 * spelled as a case class (`[kK]`), then the characters after it, then a look-behind for the whole trigger
 * (`[kK][eE][nN](?<=[tT][oO][kK][eE][nN])` for `token`), so most positions of a line fail on one character and most
 * of the rest on the next (one compare of a few characters, before any look-behind runs); V8 runs an `i` alternation
 * far slower (the flag alone undoes the gain). A trigger that contains another one (`private key` and `key`) is
 * left out.
 */
export function triggerPattern(triggers: readonly string[], extra: readonly string[] = []): RegExp {
  const unique = [...new Set(triggers)].filter((trigger) => trigger !== '');
  const needed = unique.filter((trigger) => !unique.some((other) => other !== trigger && covers(other, trigger)));
  // Triggers with the same anchor and the same characters after it are one alternative whose look-behind lists their
  // beginnings (`ikey`, `e_key`, `s-key`… → `[kK][eE][yY](?<=(?:[iIeEsS]|[iIeEsS]_|[iIeEsS]-)[kK][eE][yY])`): V8
  // tries the alternatives one by one at every anchor character, and twelve of them on each `k` of a user agent
  // (`WebKit`, `like Gecko`) cost more than the whole gate did before. Alternatives with the same anchor are then
  // one alternative, the anchor tested once (`[kK](?:[eE][yY](?<=…)|[eE][nN](?<=…)|_[lL][iI][vV][eE]_)`): as
  // separate ones, the vendor-token triggers made the gate 1.5× as slow on JSON lines.
  const groups = new Map<string, { anchor: string; after: string; befores: Array<{ characters: string[]; ignoreCase: boolean }> }>();
  const anchors = chooseAnchors(needed);
  for (const [position, trigger] of needed.entries()) {
    const characters = [...trigger];
    const anchor = anchors[position];
    const ignoreCase = ignoresCase(trigger);
    const spell = (character: string) => characterSource(character, ignoreCase);
    const anchorSource = spell(characters[anchor]);
    const after = characters.slice(anchor + 1).map(spell).join('');
    const key = `${anchorSource}\u0000${after}`;
    const group = groups.get(key) ?? { anchor: anchorSource, after, befores: [] };
    group.befores.push({ characters: characters.slice(0, anchor), ignoreCase });
    groups.set(key, group);
  }
  const byAnchor = new Map<string, string[]>();
  for (const { anchor, after, befores } of groups.values()) byAnchor.set(anchor, [...(byAnchor.get(anchor) ?? []), `${after}${lookBehind(befores, anchor + after)}`]);
  const sources = [...byAnchor].map(([anchor, rests]) => (rests.length === 1 ? `${anchor}${rests[0]}` : `${anchor}(?:${rests.join('|')})`));
  return new RegExp([...sources, ...extra].join('|'));
}

/**
 * The position of each trigger's anchor: its rarest character, then re-anchored where that makes the set of the
 * pattern's first characters smaller. V8 skips through a text with a Boyer-Moore table of the characters an
 * alternative can start with only while there are at most 16 of them (`[kK]` counts two; irregexp's
 * BoyerMooreLookahead gives up beyond that); with a 17th the gate runs every alternative at every position, and the
 * default gate with the vendor-token triggers measured three to five times as slow on the bench's lines (the
 * extra sources' `\` and `%` count too, and are not moved). So a trigger whose anchor
 * alone brings characters in moves to characters the others already start with (`PRIVATE` on the `P` of `[pP]`
 * rather than on `V`), and triggers that share an anchor move together to one that brings fewer in (`gho_`, `ghu_`,
 * `ghs_`, `ghr_` on `_`, one character, rather than on `[gG]`, two). Each move makes the set smaller, so it ends.
 */
function chooseAnchors(triggers: readonly string[]): number[] {
  const characters = triggers.map((trigger) => [...trigger]);
  const ignoreCase = triggers.map(ignoresCase);
  const spelling = (trigger: number, index: number): string[] => {
    const character = characters[trigger][index];
    return ignoreCase[trigger] && /^[a-z]$/.test(character) ? [character, character.toUpperCase()] : [character];
  };
  const byRarity = (trigger: number) => characters[trigger].map((_character, index) => index).sort((a, b) => rarity(characters[trigger][b]) - rarity(characters[trigger][a]) || a - b);
  const anchors = triggers.map((_trigger, position) => byRarity(position)[0]);
  for (let moved = true; moved; ) {
    moved = false;
    const spellings = new Map<string, number[]>();
    for (const [position, anchor] of anchors.entries()) {
      const key = spelling(position, anchor).join('');
      spellings.set(key, [...(spellings.get(key) ?? []), position]);
    }
    for (const [key, members] of spellings) {
      const others = new Set(anchors.flatMap((anchor, position) => (members.includes(position) ? [] : spelling(position, anchor))));
      const freed = [...key].filter((character) => !others.has(character)).length;
      if (freed === 0) continue;
      // Candidates: no new character, or the spelling of one of the members' characters (rarest first).
      const candidates: string[][] = [[], ...members.flatMap((member) => byRarity(member).map((index) => spelling(member, index)))];
      let best: { added: number; choice: number[] } | undefined;
      for (const candidate of candidates) {
        const allowed = new Set([...others, ...candidate]);
        const choice = members.map((member) => byRarity(member).find((index) => spelling(member, index).every((character) => allowed.has(character))));
        if (choice.some((index) => index === undefined)) continue;
        const added = candidate.filter((character) => !others.has(character)).length;
        if (best === undefined || added < best.added) best = { added, choice: choice as number[] };
      }
      if (best !== undefined && best.added < freed) {
        best.choice.forEach((index, member) => (anchors[members[member]] = index));
        moved = true;
        break;
      }
    }
  }
  return anchors;
}

/**
 * The look-behind that checks one of `befores` ends right before `anchor` (the anchor and the characters after it,
 * just matched), or '' when one of them is empty (the anchor and what follows suffice). Beginnings that differ only
 * in their first character share one alternative, their first characters in one class.
 */
function lookBehind(befores: ReadonlyArray<{ characters: string[]; ignoreCase: boolean }>, anchor: string): string {
  if (befores.some((before) => before.characters.length === 0)) return '';
  const byRest = new Map<string, Set<string>>();
  for (const { characters, ignoreCase } of befores) {
    const rest = characters.slice(1).map((character) => characterSource(character, ignoreCase)).join('');
    const firsts = byRest.get(rest) ?? new Set<string>();
    const first = characters[0];
    firsts.add(first);
    if (ignoreCase && /^[a-z]$/.test(first)) firsts.add(first.toUpperCase());
    byRest.set(rest, firsts);
  }
  const alternatives = [...byRest].map(([rest, firsts]) => `${classOf([...firsts])}${rest}`);
  return `(?<=${alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join('|')})`}${anchor})`;
}

/** A character class of `characters` (one character as itself, escaped). */
function classOf(characters: string[]): string {
  if (characters.length === 1) return characterSource(characters[0], false);
  return `[${characters.map((character) => character.replace(/[\]\\^-]/g, '\\$&')).join('')}]`;
}

/** True when every text that holds `longer` also holds `shorter`, under each one's own case rule. */
function covers(shorter: string, longer: string): boolean {
  if (ignoresCase(shorter)) return longer.toLowerCase().includes(shorter);
  return !ignoresCase(longer) && longer.includes(shorter);
}

/** A trigger written in lower case matches in any (ASCII) case; one with an upper-case letter exactly as written. */
export function ignoresCase(trigger: string): boolean {
  return trigger === trigger.toLowerCase();
}

function rarity(character: string): number {
  const rank = COMMON_FIRST.indexOf(character.toLowerCase());
  return rank === -1 ? COMMON_FIRST.length : rank;
}

/** `k` → `[kK]` when case is ignored (ASCII letters only, as the `i` flag without `u` does); others escaped. */
function characterSource(character: string, ignoreCase: boolean): string {
  if (ignoreCase && /^[a-z]$/.test(character)) return `[${character}${character.toUpperCase()}]`;
  return character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
