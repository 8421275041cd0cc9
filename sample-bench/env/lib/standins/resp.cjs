'use strict';
// A minimal Redis (RESP2) client, so the stand-ins need nothing but Node: a copy of
// sample-bench anywhere on disk still runs.
const net = require('node:net');

class Redis {
  constructor(url) {
    const u = new URL(url);
    this.url = url;
    this.host = u.hostname || '127.0.0.1';
    this.port = Number(u.port || 6379);
    this.password = u.password ? decodeURIComponent(u.password) : undefined;
    this.username = u.username ? decodeURIComponent(u.username) : undefined;
    this.pending = [];
    this.buf = Buffer.alloc(0);
    this.onMessage = null;
  }

  /** Connect; rejects with a redis-py-like message when nothing listens. */
  connect() {
    return new Promise((resolve, reject) => {
      this.sock = net.connect(this.port, this.host);
      this.sock.once('connect', async () => {
        this.sock.removeListener('error', reject);
        this.sock.on('error', (e) => this.failAll(e));
        try {
          if (this.password) await this.call(...(this.username ? ['AUTH', this.username, this.password] : ['AUTH', this.password]));
          resolve(this);
        } catch (e) {
          reject(e);
        }
      });
      this.sock.once('error', (e) =>
        reject(new Error(`Error ${e.errno === -111 ? 111 : e.code} connecting to ${this.host}:${this.port}. ${e.code === 'ECONNREFUSED' ? 'Connection refused' : e.message}.`)),
      );
      this.sock.on('data', (d) => this.onData(d));
      this.sock.on('close', () => this.failAll(new Error(`Connection to ${this.host}:${this.port} closed`)));
    });
  }

  call(...args) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      let out = `*${args.length}\r\n`;
      for (const a of args) {
        const s = String(a);
        out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
      }
      this.sock.write(out);
    });
  }

  close() {
    this.pending = [];
    if (this.sock) this.sock.destroy();
  }

  failAll(err) {
    const p = this.pending;
    this.pending = [];
    for (const { reject } of p) reject(err);
    if (this.onClose) this.onClose(err);
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const r = parse(this.buf, 0);
      if (!r) return;
      this.buf = this.buf.subarray(r.end);
      const v = r.value;
      if (this.onMessage && Array.isArray(v) && v[0] === 'message') {
        this.onMessage(v[1], v[2]);
        continue;
      }
      const p = this.pending.shift();
      if (!p) continue;
      if (v instanceof Error) p.reject(v);
      else p.resolve(v);
    }
  }
}

function parse(buf, start) {
  const nl = buf.indexOf('\r\n', start);
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[start]);
  const line = buf.toString('utf8', start + 1, nl);
  const next = nl + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return null;
      return { value: buf.toString('utf8', next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, pos);
        if (!r) return null;
        items.push(r.value);
        pos = r.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`bad RESP reply: ${JSON.stringify(line)}`);
  }
}

module.exports = { Redis };
