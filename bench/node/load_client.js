#!/usr/bin/env node
// Load client for any echo server with 4-byte little-endian length framing: N connections, one message in
// flight on each, SIZE-byte messages, DURATION seconds after a warm-up. Prints one JSON object
// (messagesPerSecond, p50Micros, p99Micros).
//   node load_client.js --port PORT [--connections 100] [--size 32] [--duration 10] [--warmup 1]
'use strict';
const net = require('net');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const host = arg('host', '127.0.0.1');
const port = Number(arg('port'));
const connections = Number(arg('connections', 100));
const size = Number(arg('size', 32));
const duration = Number(arg('duration', 10)) * 1000;
const warmup = Number(arg('warmup', 1)) * 1000;
if (!port) { console.error('load_client.js: --port is required'); process.exit(2); }

const message = Buffer.alloc(4 + size);
message.writeUInt32LE(size, 0);
for (let i = 0; i < size; i++) message[4 + i] = i & 0xff;

const start = performance.now();
const measureFrom = start + warmup;
const stopAt = measureFrom + duration;
const latencies = [];
let count = 0;
let errors = 0;
let stopped = false;
const sockets = [];

for (let c = 0; c < connections; c++) {
  const socket = net.connect(port, host);
  socket.setNoDelay(true);
  let received = 0;
  let sentAt = 0;
  const send = () => { sentAt = performance.now(); socket.write(message); };
  socket.on('connect', send);
  socket.on('data', (chunk) => {
    received += chunk.length;
    while (received >= message.length) {
      received -= message.length;
      const now = performance.now();
      if (now >= measureFrom && now < stopAt) { count++; latencies.push(now - sentAt); }
      if (!stopped) send();
    }
  });
  socket.on('error', () => { if (!stopped) errors++; });
  sockets.push(socket);
}

setTimeout(() => {
  stopped = true;
  for (const s of sockets) s.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q) => latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10000) / 10 : 0;
  const seconds = duration / 1000;
  console.log(JSON.stringify({
    connections, size, durationSeconds: seconds, messages: count, errors,
    messagesPerSecond: Math.round(count / seconds), p50Micros: pct(0.5), p99Micros: pct(0.99),
  }));
  process.exit(errors === 0 ? 0 : 1);
}, warmup + duration);
