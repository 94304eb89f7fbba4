// Every problem of width on the page now shown: see PAGE_OVERFLOW in layout.py.
// Called by Playwright's page.evaluate with the selectors of the containers that
// scroll sideways on purpose.
(intended => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const seen = new Set();
  const say = (el, what) => {
    const key = what + '|' + describe(el);
    if (!seen.has(key)) { seen.add(key); problems.push(`${describe(el)}: ${what}`); }
  };
  const describe = el => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim())
      name += '.' + el.className.trim().split(/\s+/).join('.');
    const text = (el.innerText || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  const style = new Map();
  const css = el => { if (!style.has(el)) style.set(el, getComputedStyle(el)); return style.get(el); };
  const clips = el => css(el).overflowX !== 'visible';
  const scrolls = el => ['auto', 'scroll'].includes(css(el).overflowX);
  const isIntended = el => intended.some(sel => el.matches(sel));
  // The nearest ancestor that clips or scrolls sideways, or null for the viewport. An
  // absolutely positioned box escapes every such ancestor below its containing block (a
  // screen reader's text in a scrolling table still widens the page).
  const clipper = el => {
    if (css(el).position === 'fixed') return null;
    let escaping = css(el).position === 'absolute';
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (escaping && css(a).position !== 'static') escaping = false;
      if (!escaping && clips(a)) return a;
      if (!escaping && css(a).position === 'absolute') escaping = true;
    }
    return null;
  };
  const tiny = holder => holder !== null && holder.getBoundingClientRect().width <= 1;
  const TEXT_INPUTS = ['text', 'email', 'search', 'password', 'url', 'tel', 'number',
                       'date', 'datetime-local', 'time', 'file'];
  const isControl = el => el.matches('button, a, input, select, summary, textarea');
  const ownTextScrolls = el => !(el.matches('textarea') ||
    (el.matches('input') && TEXT_INPUTS.includes(el.type)));

  const ruler = document.createElement('canvas').getContext('2d');
  const doc = document.documentElement;
  if (doc.scrollWidth > vw)
    problems.push(`the page is ${doc.scrollWidth}px wide in a ${vw}px viewport`);

  // Drawn, not merely laid out: a closed <details>' content has boxes but is not shown.
  const shown = el => el.checkVisibility({contentVisibilityAuto: true});
  for (const el of document.body.querySelectorAll('*')) {
    if (!shown(el)) continue;
    const b = el.getBoundingClientRect();
    if (b.right <= 0) continue;  // hidden off to the left on purpose
    const holder = clipper(el);
    if (tiny(holder)) continue;  // inside a visually hidden box (a label for screen readers)
    const inline = css(el).display === 'inline';
    if (holder === null) {
      if (b.right > vw + 0.5) say(el, `reaches ${Math.round(b.right)}px, past the ${vw}px viewport`);
      else if (!inline && !clips(el) && b.left + el.scrollWidth > vw + 1)
        say(el, `its content reaches ${Math.round(b.left + el.scrollWidth)}px, past the ${vw}px viewport`);
    }
    if (scrolls(el) && !isIntended(el) && el.scrollWidth > el.clientWidth + 1)
      say(el, `scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px) but is not meant to`);
    if (isControl(el)) {
      let left = 0, right = vw;
      if (holder !== null && !scrolls(holder)) {
        const h = holder.getBoundingClientRect();
        left = Math.max(left, h.left); right = Math.min(right, h.right);
      }
      if (holder !== null && scrolls(holder)) {
        // Reached by scrolling the holder: only what lies left of its start is lost.
        left = holder.getBoundingClientRect().left - holder.scrollLeft; right = Infinity;
      }
      if (b.width > 1 && (b.left < left - 0.5 || b.right > right + 0.5))
        say(el, `control cut off: ${Math.round(b.left)}–${Math.round(b.right)}px outside ${Math.round(left)}–${Math.round(right)}px`);
      if (el.matches('select') && el.selectedOptions.length) {
        // A select does not report its text's width: measure the chosen option (the arrow
        // takes about 1.25em). Only selects of short labels (every option within 20em, a
        // filter's "All statuses"): an option longer than a phone is cut by any layout.
        const s = css(el);
        ruler.font = s.font;
        const em = parseFloat(s.fontSize);
        const text = el.selectedOptions[0].text.trim();
        const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
          - 1.25 * em;
        const short = [...el.options].every(o => ruler.measureText(o.text.trim()).width <= 20 * em);
        if (short && ruler.measureText(text).width > room + 1)
          say(el, `its choice "${text}" is cut (${Math.round(ruler.measureText(text).width)}px in ${Math.round(room)}px)`);
      }
      // Cut on purpose with "…", the whole text in its title (a long account name).
      const ellipsis = css(el).textOverflow === 'ellipsis' && el.title.trim() === (el.innerText || '').trim();
      if (!inline && !ellipsis && ownTextScrolls(el) && el.scrollWidth > el.clientWidth + 1)
        say(el, `its text (${el.scrollWidth}px) is wider than the control (${el.clientWidth}px)`);
    }
  }

  // Lines of text that run out of the block that holds them.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    let block = node.parentElement;
    while (block && css(block).display === 'inline') block = block.parentElement;
    if (!block || !shown(block) || clips(block) || tiny(clipper(block))) continue;
    if (block.getBoundingClientRect().right <= 0) continue;
    range.selectNodeContents(node);
    const box = block.getBoundingClientRect();
    for (const r of range.getClientRects()) {
      if (r.width && r.right > box.right + 1) {
        say(block, `text runs ${Math.round(r.right - box.right)}px out of its box`);
        break;
      }
    }
    // A word split across lines ("Awaitin|g approv|al"): the box is narrower than one of
    // its words. Letters only: an address or a link may break anywhere, a word should not.
    const b = css(block);
    const room = block.clientWidth - parseFloat(b.paddingLeft) - parseFloat(b.paddingRight);
    if (!(room > 0)) continue;
    const words = node.textContent.split(/\s+/)
      .map(token => token.replace(/^[(«“"¿¡]+|[)»”".,;:!?]+$/gu, ''))
      .filter(token => !/[@/.]/.test(token))  // an address or a link
      .flatMap(token => token.split(/[\u2010-\u2015-]/))  // a hyphen may end a line
      .filter(token => /^\p{L}{2,}$/u.test(token));
    ruler.font = css(node.parentElement).font;
    for (const word of words) {
      const w = ruler.measureText(word).width;
      if (w > room + 1) {
        say(block, `breaks the word "${word}" (${Math.round(w)}px in ${Math.round(room)}px)`);
        break;
      }
    }
  }
  return problems;
})
