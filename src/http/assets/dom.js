/*
 * Building the page from data. Every text goes in as a text node or an attribute value, never
 * as HTML: a file named `<img src=x onerror=alert(1)>.json` shows as those characters.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** An HTML element: h('a', { href: '/x', class: 'y' }, 'text', child, [more]). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  return append(el, children);
}

/** An SVG element, same form. */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  return append(el, children);
}

/** Replaces what an element holds. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Re-renders a part of the page only when its data changed, so that a poll every few seconds
 * does not take the focus or the selection away while nothing moved.
 */
export function patch(el, data, render) {
  const key = JSON.stringify(data);
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  fill(el, render(data));
}
