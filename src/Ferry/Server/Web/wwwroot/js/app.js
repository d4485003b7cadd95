// The page: a login form, then the chat and files panes on one logged-in connection.

import { FerryConnection } from "./frames.js";
import { loginScram, loginKey } from "./auth.js";
import { ChatPane } from "./chat.js";
import { FilesPane } from "./files.js";
import { el, clear, words } from "./dom.js";

const RememberKey = "ferry.login"; // only when "remember on this device" was ticked
const app = document.getElementById("app");

function remembered() {
  try { return JSON.parse(localStorage.getItem(RememberKey) ?? "null"); } catch { return null; }
}

function loginView(message) {
  clear(app);
  const saved = remembered();
  const method = saved?.method ?? "scram";
  const user = el("input", { id: "login-user", autocomplete: "username", value: saved?.user ?? "", spellcheck: "false" });
  const password = el("input", { id: "login-password", type: "password", autocomplete: "current-password",
    placeholder: saved?.method === "scram" ? "(remembered on this device)" : "" });
  const key = el("textarea", { id: "login-key", rows: "2", spellcheck: "false", placeholder: saved?.method === "key" ? "(remembered on this device)" : "base64 line from 'ferry key show'" });
  const remember = el("input", { id: "login-remember", type: "checkbox", checked: !!saved });
  const error = el("p", { id: "login-error", class: "error", role: "alert" }, message ?? "");
  const scramFields = el("div", { class: "fields", id: "scram-fields" },
    el("label", { for: "login-user" }, "User"), user, el("label", { for: "login-password" }, "Password"), password);
  const keyFields = el("div", { class: "fields", id: "key-fields", hidden: true }, el("label", { for: "login-key" }, "Shared key"), key);
  const choose = m => { scramFields.hidden = m !== "scram"; keyFields.hidden = m !== "key"; };
  const radios = el("fieldset", { class: "methods" }, el("legend", {}, "Log in with"),
    el("label", {}, el("input", { type: "radio", name: "method", value: "scram", id: "method-scram", checked: method === "scram", onchange: () => choose("scram") }), " a user and password"),
    el("label", {}, el("input", { type: "radio", name: "method", value: "key", id: "method-key", checked: method === "key", onchange: () => choose("key") }), " the shared key"));
  const button = el("button", { type: "submit", id: "login-submit" }, "Log in");
  const form = el("form", { id: "login", class: "login", onsubmit: async e => {
    e.preventDefault();
    button.disabled = true;
    error.textContent = "Logging in…";
    const m = form.querySelector("input[name=method]:checked").value;
    const conn = new FerryConnection();
    try {
      await conn.open();
      let result;
      if (m === "scram") {
        const secret = password.value ? { password: password.value } : saved?.method === "scram" && saved.user === user.value ? saved : { password: "" };
        result = await loginScram(conn, user.value.trim(), secret);
      } else {
        result = await loginKey(conn, key.value.trim() || (saved?.method === "key" ? saved.key : ""));
      }
      password.value = "";
      key.value = "";
      if (remember.checked) localStorage.setItem(RememberKey, JSON.stringify(result.remember));
      else localStorage.removeItem(RememberKey);
      mainView(conn, result.ok);
    } catch (err) {
      conn.close();
      error.textContent = `Login failed: ${words(err)}`;
      button.disabled = false;
    }
  } },
  el("h1", {}, "Ferry"), el("p", { class: "server" }, `Server: ${location.host}`), radios, scramFields, keyFields,
  el("label", { class: "check" }, remember, " Remember on this device (keeps a password-equivalent in this browser)"),
  button, error,
  saved ? el("button", { type: "button", id: "login-forget", class: "link", onclick: () => { localStorage.removeItem(RememberKey); loginView("Forgotten on this device."); } }, "Forget the remembered login") : null);
  app.append(form);
  choose(method);
  (method === "scram" ? (user.value ? password : user) : key).focus();
}

function mainView(conn, ok) {
  clear(app);
  const panes = {};
  const tabs = el("div", { role: "tablist", class: "tabs", "aria-label": "Panes" });
  const status = el("p", { id: "conn-status", class: "status" }, `Logged in as ${ok.user} (${ok.method}); rights: ${(ok.rights ?? []).join(", ") || "none"}`);
  const logout = el("button", { type: "button", id: "logout", onclick: () => { conn.onclose = null; conn.close(); loginView("Logged out."); } }, "Log out");
  const header = el("header", { class: "top" }, el("strong", {}, "Ferry"), tabs, status, logout);
  app.append(header);
  const show = name => {
    for (const [n, p] of Object.entries(panes)) {
      p.section.hidden = n !== name;
      p.tab.setAttribute("aria-selected", String(n === name));
      p.tab.tabIndex = n === name ? 0 : -1;
    }
  };
  const add = (name, label) => {
    const tab = el("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-controls": `pane-${name}`, onclick: () => show(name) }, label);
    const section = el("section", { id: `pane-${name}`, role: "tabpanel", "aria-labelledby": `tab-${name}`, class: "pane" });
    tabs.append(tab);
    app.append(section);
    panes[name] = { tab, section };
    return section;
  };
  // Arrow keys move between tabs, as the ARIA tabs pattern has it.
  tabs.addEventListener("keydown", e => {
    const names = Object.keys(panes);
    const at = names.findIndex(n => panes[n].tab === document.activeElement);
    if (at < 0 || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
    const next = names[(at + (e.key === "ArrowRight" ? 1 : names.length - 1)) % names.length];
    show(next);
    panes[next].tab.focus();
  });
  const chat = new ChatPane(add("chat", "Chat"), conn, ok.user);
  const files = new FilesPane(add("files", "Files"), conn);
  show("chat");
  files.list("");
  conn.onclose = why => {
    status.textContent = `Disconnected: ${why}`;
    status.classList.add("error");
  };
  window.ferry = { conn, chat, files, show }; // for tests and the curious: the page's state, nothing secret
}

loginView();
