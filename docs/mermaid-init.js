// Draws the diagrams of the HTML docs. docs/md-filter.py turns each ```mermaid block of a page
// into <pre class="mermaid">source</pre> and loads mermaid.min.js, then this file, at the end of
// the page. mermaid.min.js is a local copy that docs/fetch-mermaid.sh puts next to the pages
// (never fetched from the web when a page is viewed). When it is missing, the diagrams stay as
// their source text and a note says why.
(function () {
  'use strict';
  var blocks = document.querySelectorAll('pre.mermaid');
  if (blocks.length === 0) return;

  var style = document.createElement('style');
  style.textContent =
    'pre.mermaid { background: none; border: none; text-align: center; }\n' +
    'pre.mermaid:not([data-processed]) { text-align: left; border: 1px solid #C4CFE5;' +
    ' background: #FBFCFD; padding: 4px 6px; }\n' +
    'p.mermaid-note { font-style: italic; color: #555; margin-bottom: 2px; }';
  document.head.appendChild(style);

  if (window.mermaid) {
    window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });
    window.mermaid.run({ nodes: blocks });
    return;
  }
  blocks.forEach(function (pre) {
    var note = document.createElement('p');
    note.className = 'mermaid-note';
    note.textContent = 'Diagram source (Mermaid). mermaid.min.js was not available when these ' +
      'pages were built (docs/fetch-mermaid.sh needs npm); the chapter on a Git forge shows ' +
      'the drawing.';
    pre.parentNode.insertBefore(note, pre);
  });
})();
