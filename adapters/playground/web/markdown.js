// Card markdown, exactly as bot/markdown.go defines it (ParseMarkdown): one
// block per "\n"-separated line; "- " starts a bullet; "**" and "~~" pair up
// from the left, per kind and per line, into bold and strike (a marker left
// without a partner is text); a backslash before ASCII punctuation stands for
// that character. Nothing else is markup: links, headings, HTML and code are
// text. The Go test TestPlaygroundMarkdownMatchesGo checks this file against
// the Go parser in a browser.
'use strict';

(function (root) {
  const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

  // tokenize splits a line into text and "**" / "~~" markers.
  function tokenize(line) {
    const toks = [];
    let text = '';
    const flush = () => { if (text !== '') { toks.push({ text, marker: '' }); text = ''; } };
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '\\' && i + 1 < line.length && PUNCT.includes(line[i + 1])) {
        i++;
        text += line[i];
      } else if ((c === '*' || c === '~') && line[i + 1] === c) {
        flush();
        toks.push({ text: c + c, marker: c });
        i++;
      } else {
        text += c;
      }
    }
    flush();
    return toks;
  }

  function parseInlines(line) {
    const toks = tokenize(line);
    for (const m of ['*', '~']) {
      let last = -1;
      let n = 0;
      toks.forEach((t, i) => { if (t.marker === m) { last = i; n++; } });
      if (n % 2 === 1) toks[last].marker = '';
    }
    const out = [];
    let bold = false;
    let strike = false;
    for (const t of toks) {
      if (t.marker === '*') { bold = !bold; continue; }
      if (t.marker === '~') { strike = !strike; continue; }
      const prev = out[out.length - 1];
      if (prev && prev.bold === bold && prev.strike === strike) prev.text += t.text;
      else out.push({ text: t.text, bold, strike });
    }
    return out;
  }

  // parseMarkdown returns [{bullet, inlines: [{text, bold, strike}]}], one a line.
  function parseMarkdown(s) {
    return String(s).split('\n').map((line) => {
      const bullet = line.startsWith('- ');
      return { bullet, inlines: parseInlines(bullet ? line.slice(2) : line) };
    });
  }

  root.loopbotMarkdown = { parseMarkdown };
})(typeof window !== 'undefined' ? window : globalThis);
