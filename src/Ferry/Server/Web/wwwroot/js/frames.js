// The Ferry frame codec and a connection over the WebSocket binding (docs/protocol.md §2 and §6): a 4-byte
// little-endian header length, a JSON header, then `size` body bytes. Messages are slices of one byte stream, so
// received bytes go into one buffer and frames are cut from it, whatever the message boundaries were.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** One frame's bytes: the length prefix and header; the body follows as separate parts (no copy of big bodies). */
export function encodeHeader(header) {
  const json = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(4 + json.length);
  new DataView(out.buffer).setInt32(0, json.length, true);
  out.set(json, 4);
  return out;
}

/**
 * Cuts frames out of a byte stream. `push` takes each received chunk; `onFrame(header, body)` is called per frame
 * with its whole body (bodies here are at most a file.data chunk, 1 MiB, which the page asks for itself), or, for
 * frames whose header says `size` beyond `maxBody`, the reader fails.
 */
export class FrameReader {
  constructor(onFrame, maxHeader = 65536, maxBody = 64 * 1024 * 1024) {
    this.onFrame = onFrame;
    this.maxHeader = maxHeader;
    this.maxBody = maxBody;
    this.chunks = [];
    this.buffered = 0;
    this.header = null; // the header of a frame whose body is still arriving
  }

  push(chunk) {
    this.chunks.push(new Uint8Array(chunk));
    this.buffered += chunk.byteLength;
    for (;;) {
      if (this.header === null) {
        if (this.buffered < 4) return;
        const prefix = this.#peek(4);
        const length = new DataView(prefix.buffer, prefix.byteOffset, 4).getInt32(0, true);
        if (length < 0 || length > this.maxHeader) throw new Error(`the server sent a frame header of ${length} bytes`);
        if (this.buffered < 4 + length) return;
        this.#take(4);
        const header = JSON.parse(decoder.decode(this.#take(length)));
        const size = header.size ?? 0;
        if (!Number.isSafeInteger(size) || size < 0 || size > this.maxBody) throw new Error(`the server sent a body of ${size} bytes`);
        this.header = header;
      }
      const size = this.header.size ?? 0;
      if (this.buffered < size) return;
      const header = this.header;
      this.header = null;
      this.onFrame(header, this.#take(size));
    }
  }

  #peek(n) {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const out = new Uint8Array(n);
    let filled = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.length, n - filled);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (filled === n) break;
    }
    return out;
  }

  #take(n) {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length, n - filled);
      out.set(c.subarray(0, take), filled);
      filled += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}

/** A Ferry error frame as an exception: `code` from the closed set, `message` one line for people. */
export class FerryError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

/**
 * One Ferry connection over a WebSocket to this page's own server. Requests get fresh ids; `request` resolves with the
 * first answer, `exchange` lets a caller see every frame of a streaming exchange (chat events, file data, exec output).
 */
export class FerryConnection {
  constructor() {
    this.nextId = 1;
    this.exchanges = new Map(); // id -> handler(header, body)
    this.onclose = null;
    this.closed = false;
  }

  /** Opens the WebSocket and says hello; resolves with the server's hello. */
  async open(url = defaultUrl()) {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.reader = new FrameReader((header, body) => this.#dispatch(header, body));
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`cannot open the WebSocket to ${url}`));
    });
    ws.onmessage = e => {
      try {
        this.reader.push(e.data);
      } catch (err) {
        this.#fail(err.message);
      }
    };
    ws.onclose = e => this.#fail(e.reason ? `the connection closed: ${e.reason}` : "the connection closed");
    ws.onerror = null;
    return this.request({ type: "hello", version: 1, client: "ferry-web/1" });
  }

  /** Bytes queued in the browser's socket buffer: senders of bulk data wait for it to drain. */
  get bufferedAmount() {
    return this.ws.bufferedAmount;
  }

  /** Sends one frame (the header's `size` is set from the body). */
  send(header, body) {
    if (this.closed) throw new FerryError("closed", this.closeReason || "the connection closed");
    const size = body ? body.byteLength : 0;
    const frame = size > 0 ? { ...header, size } : header;
    const head = encodeHeader(frame);
    if (size > 0 && size <= 64 * 1024) {
      const whole = new Uint8Array(head.length + size);
      whole.set(head, 0);
      whole.set(new Uint8Array(body.buffer ?? body, body.byteOffset ?? 0, size), head.length);
      this.ws.send(whole);
    } else {
      // A message may hold any slice of the stream: the header, then the body as it is (a 1 MiB chunk, not copied).
      this.ws.send(head);
      if (size > 0) this.ws.send(body);
    }
  }

  /** A new request id. */
  id() {
    return this.nextId++;
  }

  /** Sends a request and calls `handler(header, body)` for every frame on its id until the handler returns true. */
  exchange(header, body, handler) {
    const id = header.id ?? this.id();
    this.exchanges.set(id, handler);
    this.send({ ...header, id }, body);
    return id;
  }

  /** Sends a request; resolves with its first answer ({header, body}), rejects with a FerryError on `error`. */
  request(header, body) {
    return new Promise((resolve, reject) => {
      this.exchange(header, body, (h, b) => {
        if (h.type === "error") reject(new FerryError(h.code, h.message));
        else resolve({ header: h, body: b });
        return true;
      });
    });
  }

  /** Stops listening to an exchange's id. */
  forget(id) {
    this.exchanges.delete(id);
  }

  close() {
    this.closed = true;
    this.ws?.close(1000);
  }

  #dispatch(header, body) {
    const id = header.id ?? 0;
    if (id === 0) {
      // id 0 is the connection's: a final error (shutdown, busy, a framing error) before the close.
      if (header.type === "error") this.closeReason = `${header.message} (${header.code})`;
      return;
    }
    const handler = this.exchanges.get(id);
    if (handler && handler(header, body) === true) this.exchanges.delete(id);
  }

  #fail(reason) {
    if (this.closed && this.failed) return;
    this.closed = true;
    this.failed = true;
    const why = this.closeReason || reason;
    try { this.ws.close(); } catch { /* already closed */ }
    for (const [, handler] of this.exchanges) {
      try { handler({ type: "error", code: "closed", message: why }, new Uint8Array(0)); } catch { /* keep failing the others */ }
    }
    this.exchanges.clear();
    this.onclose?.(why);
  }
}

export function defaultUrl() {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ferry`;
}

export const utf8 = {
  encode: s => encoder.encode(s),
  decode: b => new TextDecoder("utf-8").decode(b),
};
