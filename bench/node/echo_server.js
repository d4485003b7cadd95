#!/usr/bin/env node
// A Node.js `net` echo server with the same 4-byte little-endian length framing as bench/python/echo_server.py.
// Prints the port it listens on, then serves until killed.   node echo_server.js [port]
'use strict';
const net = require('net');

const MAX_MESSAGE = 16 * 1024 * 1024;

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    const replies = [];
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32LE(offset);
      if (length > MAX_MESSAGE) { socket.destroy(); return; }
      if (pending.length - offset - 4 < length) break;
      replies.push(pending.subarray(offset, offset + 4 + length));
      offset += 4 + length;
    }
    if (replies.length) socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
    pending = pending.subarray(offset);
  });
  socket.on('error', () => {});
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(server.address().port);
});
