// The page's incremental SHA-256 (src/Ferry/Server/Web/wwwroot/js/sha256.js): checked against node's crypto on odd
// chunkings, then its speed over 256 MiB in 1 MiB chunks (what an upload from the page hashes). Run: node bench/web/sha256-speed.mjs
import { Sha256 } from "../../src/Ferry/Server/Web/wwwroot/js/sha256.js";
import { createHash } from "node:crypto";

for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 100003]) {
  const b = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 255);
  const h = new Sha256();
  for (let o = 0; o < n;) { const k = Math.min(n - o, 1 + ((o * 7) % 97)); h.update(b.subarray(o, o + k)); o += k; }
  if (h.hex() !== createHash("sha256").update(b).digest("hex")) throw new Error(`wrong digest for ${n} bytes`);
}
const chunk = new Uint8Array(1 << 20).map((_, i) => i & 255);
const mib = 256, h = new Sha256(), started = performance.now();
for (let i = 0; i < mib; i++) h.update(chunk);
h.hex();
const seconds = (performance.now() - started) / 1000;
const native = performance.now();
const n = createHash("sha256");
for (let i = 0; i < mib; i++) n.update(chunk);
n.digest("hex");
console.log(`page SHA-256: ${(mib * 1.048576 / seconds).toFixed(0)} MB/s; node's native: ${(mib * 1.048576 / ((performance.now() - native) / 1000)).toFixed(0)} MB/s (${mib} MiB, 1 MiB chunks)`);
