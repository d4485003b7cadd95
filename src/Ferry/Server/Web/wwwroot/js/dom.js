// DOM building without innerHTML: every text a peer chose goes in as textContent, control characters replaced first.

/** Text safe to show: C0/C1 controls and DEL as visible U+FFFD-style marks, bidi overrides neutralised. */
export function safeText(value) {
  return String(value ?? "").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, c =>
    `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** el("button", { class: "x", onclick: f }, "text", child) */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(safeText(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

/** Sizes as people read them. */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n, unit = -1;
  do { value /= 1024; unit++; } while (value >= 1024 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** An error as one sentence: a Ferry error's message (with its code), or the exception's. */
export function words(err) {
  if (err?.code && err.code !== "closed") return `${err.message} (${err.code})`;
  return err?.message ?? String(err);
}
