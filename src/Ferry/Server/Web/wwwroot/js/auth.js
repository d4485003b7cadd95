// Logins computed in the page with WebCrypto (docs/security.md §3 and §10): SCRAM-SHA-256 (RFC 5802/7677) with gs2
// header "n,," — a page cannot see the certificate it came over, so there is no channel binding on the WebSocket — and
// the shared-key challenge-response with an empty binding. The server's proof is checked before the page trusts it.

import { FerryError, utf8 } from "./frames.js";

const subtle = () => {
  if (!globalThis.crypto?.subtle) throw new Error("this browser gives this page no WebCrypto (plain HTTP off loopback?); open it over https://");
  return crypto.subtle;
};

const b64 = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = text => Uint8Array.from(atob(text), c => c.charCodeAt(0));

async function hmac(key, data) {
  const k = await subtle().importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", k, typeof data === "string" ? utf8.encode(data) : data));
}

const sha256 = async data => new Uint8Array(await subtle().digest("SHA-256", data));

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Hi(password, salt, i) = PBKDF2-HMAC-SHA256, the password as its UTF-8 bytes (no SASLprep, as the server). */
export async function saltedPassword(password, salt, iterations) {
  const key = await subtle().importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await subtle().deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}

const escapeName = name => name.replaceAll("=", "=3D").replaceAll(",", "=2C");

function attributes(message) {
  const out = {};
  for (const part of message.split(",")) {
    if (part.length < 2 || part[1] !== "=") throw new Error("the server's SCRAM message is malformed");
    out[part[0]] = part.slice(2);
  }
  return out;
}

/**
 * SCRAM-SHA-256 login on an open connection that said hello. `secret` is { password } or { saltedPassword, salt,
 * iterations } (remembered on this device); resolves with { ok, remember } where remember is what "remember on this
 * device" may keep (the SaltedPassword, never the password).
 */
export async function loginScram(conn, user, secret) {
  const nonce = b64(crypto.getRandomValues(new Uint8Array(24)));
  const clientFirstBare = `n=${escapeName(user)},r=${nonce}`;
  const challenge = await conn.request({ type: "auth.scram.start", message: "n,," + clientFirstBare });
  const serverFirst = challenge.header.message;
  const a = attributes(serverFirst);
  if (a.e) throw new FerryError("auth_failed", `the server refused: ${a.e}`);
  if (!a.r?.startsWith(nonce) || a.r.length <= nonce.length) throw new Error("the server's SCRAM nonce does not extend ours");
  const iterations = Number(a.i);
  if (!Number.isInteger(iterations) || iterations < 4096 || iterations > 10_000_000) throw new Error(`the server asked for ${a.i} SCRAM iterations`);
  const salt = unb64(a.s);
  let salted = secret.saltedPassword && secret.salt === a.s && secret.iterations === iterations ? unb64(secret.saltedPassword) : null;
  if (!salted) {
    if (secret.password === undefined) throw new FerryError("auth_failed", "the remembered login no longer fits this account; type the password");
    salted = await saltedPassword(secret.password, salt, iterations);
  }
  const clientKey = await hmac(salted, "Client Key");
  const serverKey = await hmac(salted, "Server Key");
  const storedKey = await sha256(clientKey);
  const withoutProof = `c=${b64(utf8.encode("n,,"))},r=${a.r}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = await hmac(storedKey, authMessage);
  const proof = clientKey.map((byte, i) => byte ^ signature[i]);
  const ok = await conn.request({ type: "auth.scram.final", message: `${withoutProof},p=${b64(proof)}` });
  const final = attributes(ok.header.message ?? "");
  const expected = await hmac(serverKey, authMessage);
  if (!final.v || !equal(unb64(final.v), expected)) {
    conn.close();
    throw new Error("the server's SCRAM signature is wrong: it does not know this account (a fake server?)");
  }
  return { ok: ok.header, remember: { method: "scram", user, saltedPassword: b64(salted), salt: a.s, iterations } };
}

const clientLabel = utf8.encode("ferry key v1 client proof\0");
const serverLabel = utf8.encode("ferry key v1 server proof\0");

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Shared-key login (the key as `ferry key show` prints it: 32 bytes, base64). */
export async function loginKey(conn, keyText) {
  let key;
  try {
    key = unb64(keyText.trim());
  } catch {
    throw new Error("that is not a shared key: paste the base64 line 'ferry key show' prints");
  }
  if (key.length !== 32) throw new Error(`that key has ${key.length} bytes; a Ferry shared key has 32`);
  const challenge = await conn.request({ type: "auth.key.start" });
  const serverNonce = unb64(challenge.header.nonce);
  const clientNonce = crypto.getRandomValues(new Uint8Array(32));
  const proof = await hmac(key, concat(clientLabel, serverNonce, clientNonce));
  const ok = await conn.request({ type: "auth.key.proof", nonce: b64(clientNonce), proof: b64(proof) });
  const expected = await hmac(key, concat(serverLabel, serverNonce, clientNonce));
  if (!ok.header.proof || !equal(unb64(ok.header.proof), expected)) {
    conn.close();
    throw new Error("the server's key proof is wrong: it does not hold this key (a fake server?)");
  }
  return { ok: ok.header, remember: { method: "key", key: keyText.trim() } };
}

export { b64, unb64 };
