// rv's site: the copy button beside the install command, and the docs' search as you type.
// Everything else works without this file.
'use strict';

for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = 'Copied';
    } catch {
      // No clipboard (an insecure origin, a denied permission): select it for the reader.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = 'Selected';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
}

const box = document.getElementById('search');
const results = document.getElementById('results');
if (box && results) {
  let index = null;
  const show = async () => {
    index ??= await fetch('/docs/search.json').then((r) => r.json());
    const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    results.replaceChildren();
    if (!words.length) return;
    const found = index.filter((page) => {
      const text = page.text.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    for (const page of found) {
      const at = page.text.toLowerCase().indexOf(words[0]);
      const start = Math.max(0, at - 50);
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `/docs/${page.name}`;
      a.textContent = page.title;
      const small = document.createElement('small');
      small.textContent = `${start > 0 ? '…' : ''}${page.text.slice(start, start + 110)}…`;
      li.append(a, small);
      results.append(li);
    }
    if (!found.length) {
      const li = document.createElement('li');
      li.textContent = 'No page mentions that.';
      results.append(li);
    }
  };
  box.addEventListener('input', show);
  box.closest('form')?.addEventListener('submit', (e) => { e.preventDefault(); show(); });
}
