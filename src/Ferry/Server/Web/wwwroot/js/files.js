// The files pane (docs/protocol.md §5.4): browse, upload (picker or drag and drop, several at once, streamed in
// File.slice chunks and hashed as they go, resumable with the protocol's resume), download (hashed as it arrives,
// kept as Blob parts, not one buffer), delete and mkdir.

import { Sha256 } from "./sha256.js";
import { el, clear, bytes, words } from "./dom.js";

const Chunk = 1024 * 1024; // one file.data frame
const MaxQueued = 4 * 1024 * 1024; // bytes the browser may hold in its socket buffer before the sender waits
const PendingKey = "ferry.pendingUploads"; // names and sizes only: what a reload needs to offer a resume

const join = (dir, name) => (dir ? `${dir}/${name}` : name);

/** A .part key from the file's name, size and mtime, as the CLI does: the same file after a reload gets the same key. */
async function uploadKey(path, file) {
  const text = `${path}\n${file.size}\n${file.lastModified}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest.subarray(0, 8), b => b.toString(16).padStart(2, "0")).join("");
}

function pending() {
  try { return JSON.parse(localStorage.getItem(PendingKey) ?? "{}"); } catch { return {}; }
}

function setPending(path, value) {
  const all = pending();
  if (value) all[path] = value; else delete all[path];
  localStorage.setItem(PendingKey, JSON.stringify(all));
}

/** Waits until the socket buffer has drained below the limit (the WebSocket API has no drain event). */
function drained(conn) {
  if (conn.bufferedAmount < MaxQueued) return Promise.resolve();
  return new Promise(resolve => {
    const check = () => (conn.bufferedAmount < MaxQueued || conn.closed ? resolve() : setTimeout(check, 1));
    setTimeout(check, 1);
  });
}

export class FilesPane {
  constructor(root, conn) {
    this.conn = conn;
    this.dir = "";
    this.crumbs = el("nav", { id: "files-path", class: "crumbs", "aria-label": "Folder" });
    this.table = el("tbody", { id: "files-list" });
    this.status = el("p", { id: "files-status", class: "status", role: "status", "aria-live": "polite" });
    this.picker = el("input", { type: "file", id: "files-picker", multiple: true, "aria-label": "Files to upload", onchange: () => this.uploadAll([...this.picker.files]) });
    this.mkdirName = el("input", { id: "files-mkdir-name", placeholder: "new folder", "aria-label": "New folder name", autocomplete: "off" });
    this.progress = el("ul", { id: "files-progress", class: "progress-list", "aria-label": "Transfers" });
    this.overall = el("progress", { id: "files-overall", max: "1", value: "0", "aria-label": "All uploads" });
    this.pendingNote = el("p", { id: "files-pending", class: "notice" });
    this.drop = el("div", { id: "files-drop", class: "drop", tabindex: "0", role: "button", "aria-label": "Drop files here to upload, or press Enter to pick",
      onkeydown: e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); this.picker.click(); } },
      ondragover: e => { e.preventDefault(); this.drop.classList.add("over"); },
      ondragleave: () => this.drop.classList.remove("over"),
      ondrop: e => { e.preventDefault(); this.drop.classList.remove("over"); this.uploadAll([...e.dataTransfer.files]); } },
      "Drop files here, or ", el("label", { for: "files-picker", class: "link" }, "pick files"), this.picker);
    root.append(
      el("div", { class: "row" }, this.crumbs, el("button", { type: "button", id: "files-refresh", onclick: () => this.list(this.dir) }, "Refresh")),
      el("table", { class: "files" }, el("thead", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "Size"), el("th", {}, "Modified"), el("th", {}, "Actions"))), this.table),
      el("form", { class: "row", onsubmit: e => { e.preventDefault(); this.mkdir(this.mkdirName.value.trim()); } },
        this.mkdirName, el("button", { type: "submit", id: "files-mkdir" }, "Make folder")),
      this.drop, this.pendingNote, el("label", { for: "files-overall" }, "All uploads "), this.overall, this.progress, this.status);
    this.showPending();
  }

  showPending() {
    const names = Object.keys(pending());
    this.pendingNote.textContent = names.length ? `Unfinished uploads (pick the same file again to resume): ${names.join(", ")}` : "";
  }

  async list(dir) {
    try {
      const { body } = await this.conn.request({ type: "file.list", path: dir });
      const listing = JSON.parse(new TextDecoder().decode(body));
      this.dir = dir;
      this.renderCrumbs();
      clear(this.table);
      const entries = listing.entries.filter(e => !e.name.endsWith(".part"))
        .sort((a, b) => (a.kind === "dir") === (b.kind === "dir") ? a.name.localeCompare(b.name) : a.kind === "dir" ? -1 : 1);
      if (dir) this.table.append(el("tr", {}, el("td", {}, el("button", { type: "button", class: "link", onclick: () => this.list(dir.split("/").slice(0, -1).join("/")) }, "..")), el("td"), el("td"), el("td")));
      for (const entry of entries) this.table.append(this.row(entry));
      this.status.textContent = `${entries.length} entries in /${dir}`;
    } catch (err) {
      this.status.textContent = `Cannot list /${dir}: ${words(err)}`;
    }
  }

  renderCrumbs() {
    clear(this.crumbs);
    this.crumbs.append(el("button", { type: "button", class: "link", onclick: () => this.list("") }, "/"));
    const parts = this.dir ? this.dir.split("/") : [];
    parts.forEach((part, i) => {
      this.crumbs.append(el("button", { type: "button", class: "link", onclick: () => this.list(parts.slice(0, i + 1).join("/")) }, part), "/");
    });
  }

  row(entry) {
    const path = join(this.dir, entry.name);
    const name = entry.kind === "dir"
      ? el("button", { type: "button", class: "link dir", onclick: () => this.list(path) }, entry.name + "/")
      : el("span", { class: "name" }, entry.name);
    return el("tr", { "data-name": entry.name },
      el("td", {}, name),
      el("td", {}, entry.kind === "dir" ? "" : bytes(entry.length)),
      el("td", {}, entry.mtime ? new Date(entry.mtime).toLocaleString() : ""),
      el("td", { class: "actions" },
        entry.kind === "file" ? el("button", { type: "button", class: "download", "aria-label": `Download ${entry.name}`, onclick: () => this.download(path, entry.name) }, "Download") : null,
        el("button", { type: "button", class: "delete", "aria-label": `Delete ${entry.name}`, onclick: () => this.remove(path, entry.kind === "dir") }, "Delete")));
  }

  async mkdir(name) {
    if (!name) return;
    try {
      await this.conn.request({ type: "file.mkdir", path: join(this.dir, name) });
      this.mkdirName.value = "";
      await this.list(this.dir);
    } catch (err) {
      this.status.textContent = `Cannot make folder ${name}: ${words(err)}`;
    }
  }

  async remove(path, recursive) {
    if (!confirm(`Delete ${path}${recursive ? " and everything in it" : ""}?`)) return;
    try {
      await this.conn.request({ type: "file.remove", path, recursive });
      await this.list(this.dir);
    } catch (err) {
      this.status.textContent = `Cannot delete ${path}: ${words(err)}`;
    }
  }

  progressItem(label) {
    const bar = el("progress", { max: "1", value: "0" });
    const text = el("span", { class: "progress-text" }, "waiting");
    const item = el("li", { class: "transfer" }, el("span", { class: "name" }, label), " ", bar, " ", text);
    this.progress.prepend(item);
    return {
      item,
      set(done, total, note) {
        bar.max = total || 1;
        bar.value = done;
        text.textContent = note ?? `${bytes(done)} of ${bytes(total)}`;
      },
    };
  }

  async uploadAll(files) {
    if (!files.length) return;
    const total = files.reduce((n, f) => n + f.size, 0);
    const done = new Map();
    const tick = () => { this.overall.max = total || 1; this.overall.value = [...done.values()].reduce((a, b) => a + b, 0); };
    // Several files, one after another on this connection (each is streamed; one at a time keeps memory flat).
    for (const file of files) {
      const item = this.progressItem(file.name);
      try {
        const result = await this.upload(file, join(this.dir, file.name), (n, note) => { done.set(file, n); tick(); item.set(n, file.size, note); });
        item.item.classList.add("done");
        item.item.dataset.sha256 = result.sha256;
        item.set(file.size, file.size, `done, SHA-256 ${result.sha256.slice(0, 16)}…${result.resumedFrom ? ` (resumed at ${bytes(result.resumedFrom)})` : ""}`);
      } catch (err) {
        item.item.classList.add("failed");
        item.set(0, file.size, `failed: ${words(err)}`);
      }
    }
    this.picker.value = "";
    this.showPending();
    await this.list(this.dir);
  }

  /** One file: file.put (resume asked for), file.ready, file.data chunks hashed as they are read, file.done. */
  async upload(file, path, onProgress) {
    const key = await uploadKey(path, file);
    setPending(path, { key, size: file.size });
    let id, answers, wake, ready;
    const next = () => new Promise(resolve => { if (answers.length) resolve(answers.shift()); else wake = resolve; });
    // After a reload the old connection may hold the .part for a moment (one writer per .part: busy); ask again.
    for (let attempt = 0; ; attempt++) {
      id = this.conn.id();
      answers = [];
      wake = null;
      this.conn.exchange({ type: "file.put", id, path, length: file.size, mtime: file.lastModified, mode: 0o644, force: true, resume: true, key }, null, h => {
        if (wake) { const w = wake; wake = null; w(h); } else answers.push(h);
        return h.type === "ok" || h.type === "error";
      });
      ready = await next();
      if (ready.type !== "error" || ready.code !== "busy" || attempt >= 10) break;
      onProgress(0, "the server is still closing the last upload of this file; asking again");
      await new Promise(resolve => setTimeout(resolve, 300));
    }
    if (ready.type === "error") throw Object.assign(new Error(ready.message), { code: ready.code });
    let hash = new Sha256();
    let offset = 0;
    if (ready.offset > 0) {
      // Resume: hash our own prefix; send from there only if it is the same bytes the .part holds.
      onProgress(0, "checking what the server already has");
      for (let at = 0; at < ready.offset; at += Chunk) {
        hash.update(await file.slice(at, Math.min(at + Chunk, ready.offset)).arrayBuffer());
        onProgress(at, `checking ${bytes(at)} already uploaded`);
      }
      if (hash.clone().hex() === ready.prefixSha256) offset = ready.offset;
      else hash = new Sha256(); // the .part holds other bytes: start over from 0
    }
    const resumedFrom = offset;
    while (offset < file.size) {
      const end = Math.min(offset + Chunk, file.size);
      const chunk = new Uint8Array(await file.slice(offset, end).arrayBuffer());
      hash.update(chunk);
      await drained(this.conn);
      if (answers.length && answers[0].type === "error") break;
      this.conn.send({ type: "file.data", id, offset }, chunk);
      offset = end;
      onProgress(offset);
    }
    const sha256 = hash.hex();
    this.conn.send({ type: "file.done", id, sha256 });
    const answer = await next();
    if (answer.type === "error") {
      if (answer.code === "hash_mismatch") setPending(path, null);
      throw Object.assign(new Error(answer.message), { code: answer.code });
    }
    setPending(path, null);
    return { sha256, resumedFrom };
  }

  /** file.get, the data hashed as it arrives and kept as Blob parts; saved only when the hash matches file.done. */
  async download(path, name) {
    const item = this.progressItem(`↓ ${name}`);
    const hash = new Sha256();
    const parts = [];
    let length = 0, received = 0;
    try {
      const sha256 = await new Promise((resolve, reject) => {
        this.conn.exchange({ type: "file.get", path, offset: 0 }, null, (h, body) => {
          switch (h.type) {
            case "file.ready": length = h.length; item.set(0, length); return false;
            case "file.data":
              hash.update(body);
              parts.push(new Blob([body]));
              received += body.length;
              item.set(received, length);
              return false;
            case "file.done": resolve(h.sha256); return true;
            case "error": reject(Object.assign(new Error(h.message), { code: h.code })); return true;
            default: return false;
          }
        });
      });
      const mine = hash.hex();
      if (mine !== sha256) throw new Error(`the download's SHA-256 ${mine} is not the server's ${sha256}; nothing saved`);
      const url = URL.createObjectURL(new Blob(parts));
      const a = el("a", { href: url, download: name, class: "hidden" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      item.item.classList.add("done");
      item.item.dataset.sha256 = mine;
      item.set(length, length, `done, SHA-256 ${mine.slice(0, 16)}… checked`);
    } catch (err) {
      item.item.classList.add("failed");
      item.set(received, length, `failed: ${words(err)}`);
    }
  }
}
