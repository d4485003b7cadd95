// The chat pane (docs/protocol.md §5.5): one room at a time on this connection, history on join, live events on the
// join's id, private messages, nick changes. Commands typed in the box: /join ROOM, /nick NICK, /msg NICK TEXT.

import { utf8 } from "./frames.js";
import { el, clear, words } from "./dom.js";

export class ChatPane {
  constructor(root, conn, user) {
    this.conn = conn;
    this.joinId = 0;
    this.room = null;
    this.nick = null;
    this.members = new Set();
    this.roomInput = el("input", { id: "chat-room", value: "lobby", "aria-label": "Room", autocomplete: "off", spellcheck: "false" });
    this.nickInput = el("input", { id: "chat-nick", value: user === "key" ? "" : user, placeholder: "nick", "aria-label": "Nick", autocomplete: "off", spellcheck: "false" });
    this.log = el("ol", { id: "chat-log", class: "chat-log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
    this.memberList = el("ul", { id: "chat-members", class: "members", "aria-label": "Members" });
    this.status = el("p", { id: "chat-status", class: "status", role: "status" });
    this.text = el("input", { id: "chat-text", "aria-label": "Message (or /join ROOM, /nick NICK, /msg NICK TEXT)", placeholder: "Message, /msg nick text, /nick name, /join room", autocomplete: "off", maxlength: "4096", disabled: true });
    this.roomsList = el("ul", { id: "chat-rooms", class: "rooms", "aria-label": "Rooms" });
    const joinForm = el("form", { class: "row", onsubmit: e => { e.preventDefault(); this.join(this.roomInput.value.trim(), this.nickInput.value.trim()); } },
      el("label", { for: "chat-room" }, "Room"), this.roomInput,
      el("label", { for: "chat-nick" }, "Nick"), this.nickInput,
      el("button", { type: "submit", id: "chat-join" }, "Join"),
      el("button", { type: "button", id: "chat-nick-set", onclick: () => this.setNick(this.nickInput.value.trim()) }, "Set nick"));
    const sayForm = el("form", { class: "row say", onsubmit: e => { e.preventDefault(); this.submit(); } },
      this.text, el("button", { type: "submit", id: "chat-send" }, "Send"));
    root.append(joinForm, this.status,
      el("div", { class: "chat-body" },
        el("div", { class: "chat-main" }, this.log, sayForm),
        el("aside", { class: "chat-side" }, el("h3", {}, "Members"), this.memberList, el("h3", {}, "Rooms"), this.roomsList,
          el("button", { type: "button", id: "chat-rooms-refresh", onclick: () => this.refreshRooms() }, "Refresh rooms"))));
  }

  async join(room, nick) {
    if (!room) return this.say("Give a room name to join.", "notice");
    const id = this.conn.id();
    const header = { type: "chat.join", id, room };
    if (nick) header.nick = nick;
    let answered = false;
    const previous = this.joinId;
    this.joinId = id;
    await new Promise(resolve => {
      this.conn.exchange(header, null, (h, body) => {
        if (!answered) {
          answered = true;
          if (h.type === "error") {
            this.joinId = previous;
            this.notice(`Cannot join ${room}: ${words(h)}`);
            resolve();
            return true;
          }
          this.room = h.room;
          this.nick = h.nick;
          this.nickInput.value = h.nick;
          this.members = new Set(h.members ?? []);
          clear(this.log);
          this.renderMembers();
          this.status.textContent = `In ${h.room} as ${h.nick}`;
          this.text.disabled = false;
          resolve();
          return false;
        }
        return this.onEvent(h, body);
      });
    });
    this.refreshRooms();
  }

  onEvent(h, body) {
    if (h.type === "error") {
      this.notice(`Left the room: ${words(h)}`);
      this.text.disabled = true;
      return true;
    }
    if (h.type !== "chat.event") return false;
    const text = body.length ? utf8.decode(body) : "";
    switch (h.kind) {
      case "message":
        this.line(h, el("span", { class: "from" }, h.from), ": ", el("span", { class: "text" }, text), h.history ? "history" : "message");
        break;
      case "private":
        this.line(h, el("span", { class: "from" }, `${h.from} → ${h.to}`), " (private): ", el("span", { class: "text" }, text), "private");
        break;
      case "join":
        this.members.add(h.from);
        this.line(h, `${h.from} joined ${h.room}`, "", "", "event");
        break;
      case "leave":
        this.members.delete(h.from);
        this.line(h, `${h.from} left (${h.reason ?? "left"})`, "", "", "event");
        if (h.from === this.nick && h.reason === "left") return true; // our own leave ends the exchange
        break;
      case "nick":
        this.members.delete(h.from);
        this.members.add(h.nick);
        if (h.from === this.nick) this.nick = h.nick;
        this.line(h, `${h.from} is now ${h.nick}`, "", "", "event");
        break;
      default:
        this.line(h, `${h.kind}${h.reason ? ": " + h.reason : ""}`, "", "", "event");
    }
    this.renderMembers();
    return false;
  }

  line(h, who, sep, text, kind) {
    const time = h.time ? new Date(h.time).toLocaleTimeString() : "";
    const item = el("li", { class: `msg ${kind}`, "data-seq": h.seq ?? "" }, el("time", {}, time), " ", who, sep, text);
    const atBottom = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 4;
    this.log.append(item);
    while (this.log.childElementCount > 2000) this.log.firstElementChild.remove();
    if (atBottom) item.scrollIntoView({ block: "end" });
  }

  notice(text) {
    this.line({ time: Date.now() }, text, "", "", "notice");
  }

  renderMembers() {
    clear(this.memberList);
    for (const m of [...this.members].sort()) {
      this.memberList.append(el("li", {}, el("button", { type: "button", class: "link", title: `Private message to ${m}`,
        onclick: () => { this.text.value = `/msg ${m} `; this.text.focus(); } }, m)));
    }
  }

  async refreshRooms() {
    try {
      const { header } = await this.conn.request({ type: "chat.rooms" });
      clear(this.roomsList);
      for (const r of header.rooms ?? []) {
        this.roomsList.append(el("li", {}, el("button", { type: "button", class: "link",
          onclick: () => { this.roomInput.value = r.name; this.join(r.name, this.nickInput.value.trim()); } }, `${r.name} (${r.members})`)));
      }
    } catch (err) {
      this.notice(`Rooms: ${words(err)}`);
    }
  }

  async setNick(nick) {
    if (!nick) return;
    try {
      const { header } = await this.conn.request({ type: "chat.nick", nick });
      this.nickInput.value = header.nick;
      if (!this.room) this.nick = header.nick;
    } catch (err) {
      this.notice(`Nick: ${words(err)}`);
    }
  }

  async submit() {
    const value = this.text.value;
    if (!value.trim()) return;
    const command = /^\/(\w+)\s*(.*)$/s.exec(value);
    try {
      if (command && command[1] === "join") await this.join(command[2].trim(), this.nickInput.value.trim());
      else if (command && command[1] === "nick") await this.setNick(command[2].trim());
      else if (command && command[1] === "msg") {
        const m = /^(\S+)\s+(.+)$/s.exec(command[2]);
        if (!m) return this.notice("Usage: /msg NICK TEXT");
        await this.conn.request({ type: "chat.msg", to: m[1] }, utf8.encode(m[2]));
        this.line({ time: Date.now() }, el("span", { class: "from" }, `${this.nick} → ${m[1]}`), " (private): ", el("span", { class: "text" }, m[2]), "private");
      } else {
        await this.conn.request({ type: "chat.say" }, utf8.encode(value));
      }
      this.text.value = "";
    } catch (err) {
      this.notice(`Not sent: ${words(err)}`);
    }
  }

  say(text) { this.notice(text); }
}
