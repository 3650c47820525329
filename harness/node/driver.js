'use strict';
// refreshproof node driver: runs an unmodified elastic.io Node.js component
// with the component's own sailor (elasticio-sailor-nodejs), in process, with
// the sailor's AMQP connection replaced by an in-memory stand-in
// (reference/platform.md 7.3). The Go side starts it as
//
//   node /abs/path/driver.js        (cwd = the component directory)
//
// and talks to it through three channels:
//   - stdin: commands, one JSON object per line (message, clock, exit);
//   - fd 3:  events, one JSON object per line, written synchronously so that
//            their order is exact (stdout and stderr belong to the component);
//   - the exit code: 0 after exit or stdin EOF, 3 when set-up fails,
//            4 after an uncaught exception (run.js exits on those too).
//
// Commands: {"cmd":"message","id","messageId","body","clockOffsetMs"?},
// {"cmd":"clock","offsetMs"}, {"cmd":"exit"}. Every event carries "seq"
// (1, 2, ...), "t" (real epoch ms) and "msg" (the id of the message that
// was last started, null before the first): ready{sailorVersion,node,
// messagesDB}, fatal{phase,error,location?,missingModule?,requireStack?},
// emit{id,name,args,unbound?,truncated?}, emit-settled{id,ok,handled|error},
// amqp{op,payload,headers?}, processed{error?}, idle (after processed: nothing
// the component started is pending), uncaughtException{error},
// unhandledRejection{error}, protocol-error{line,error}.
//
// A fatal event's phase says how far set-up got: sailor (the sailor could
// not be loaded or lacks what the driver needs), prepare (settings, the step
// from the platform API, component.json), load (the step's module: a syntax
// error, a missing module, a throw while it loads, an unknown function),
// startup or init (the component's hooks). location is the file (relative
// to the component directory) and line in the component's own code.
//
// The driver uses only Node built-ins and the component's installed sailor.

// The virtual clock comes first, before anything else is required, so that
// every module (the sailor, the component, their HTTP clients) sees it.
const RealDate = Date;
let clockOffsetMs = parseOffset(process.env.REFRESHPROOF_CLOCK_OFFSET_MS, 0);
installVirtualClock();

const fs = require('fs');
const path = require('path');
const http = require('http');
const https = require('https');
const readline = require('readline');
const crypto = require('crypto');

// Limits for one event line on fd 3.
const MAX_EVENT_BYTES = 256 * 1024;
const PREVIEW_CHARS = 4096;
// The idle look after a message: first every 5 ms, backing off to 100 ms
// for a component that keeps a timer of its own running.
const IDLE_POLL_MS = 5;
const IDLE_POLL_MAX_MS = 100;
const MAX_DEPTH = 64;

// ---------------------------------------------------------------------------
// Virtual clock.

function parseOffset(value, fallback) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

// installVirtualClock replaces the global Date with a function that behaves
// like Date except that "now" (Date.now(), new Date(), Date()) is real time
// plus clockOffsetMs. new Date(x) is unchanged, Date.prototype is shared (so
// instanceof Date holds for dates made anywhere), and subclasses work.
function installVirtualClock() {
  const now = () => RealDate.now() + clockOffsetMs;
  function VirtualDate(...args) {
    if (!new.target) {
      // Date() called as a function ignores its arguments and returns a string.
      return new RealDate(now()).toString();
    }
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
  }
  Object.setPrototypeOf(VirtualDate, RealDate);
  Object.defineProperty(VirtualDate, 'name', { value: 'Date' });
  Object.defineProperty(VirtualDate, 'length', { value: 7 });
  Object.defineProperty(VirtualDate, 'prototype', { value: RealDate.prototype, writable: false });
  VirtualDate.now = function now_() { return now(); };
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  VirtualDate.toString = function toString() { return RealDate.toString(); };
  // new (d.constructor)(+d), as lodash's cloneDeep does, must keep working.
  Object.defineProperty(RealDate.prototype, 'constructor', {
    value: VirtualDate, writable: true, configurable: true, enumerable: false,
  });
  globalThis.Date = VirtualDate;
}

// ---------------------------------------------------------------------------
// Events on fd 3.

// fd 3 is ours only if it was handed to us open (a pipe, socket, file or
// terminal). Otherwise Node itself may have put its event loop's epoll
// descriptor there, which must not be written to.
const eventFd = (() => {
  try {
    const st = fs.fstatSync(3);
    if (st.isFIFO() || st.isSocket() || st.isFile() || st.isCharacterDevice()) return 3;
  } catch (e) {
    // not open
  }
  return null; // run by hand: events go to stderr with a prefix
})();
let seq = 0;
let currentMsg = null;

function writeAll(fd, text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      // A non-blocking pipe is full: wait a little for the reader.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

// emitEvent writes one event line. fields must not contain seq, t or msg.
// payloadKey names the field that is replaced by a preview when the line
// would exceed MAX_EVENT_BYTES.
function emitEvent(fields, payloadKey) {
  seq += 1;
  const ev = Object.assign({ seq, t: RealDate.now(), msg: currentMsg }, fields);
  let line = JSON.stringify(ev);
  if (Buffer.byteLength(line, 'utf8') > MAX_EVENT_BYTES) {
    const key = payloadKey && payloadKey in ev ? payloadKey : null;
    const bulky = key ? JSON.stringify(ev[key]) : line;
    const preview = (bulky || '').slice(0, PREVIEW_CHARS);
    const size = Buffer.byteLength(bulky || '', 'utf8');
    if (key) {
      ev[key] = preview;
      ev.truncated = true;
      ev.size = size;
      line = JSON.stringify(ev);
    }
    if (!key || Buffer.byteLength(line, 'utf8') > MAX_EVENT_BYTES) {
      line = JSON.stringify({ seq, t: ev.t, msg: ev.msg, ev: ev.ev, truncated: true, size, preview });
    }
  }
  try {
    if (eventFd !== null) {
      writeAll(eventFd, line + '\n');
    } else {
      writeAll(2, 'refreshproof-event: ' + line + '\n');
    }
  } catch (e) {
    // The Go side went away: nothing is left to report to.
    process.exit(eventFd !== null ? 5 : 1);
  }
}

// jsonSafe returns a copy of value that JSON.stringify renders faithfully:
// Errors become {name, message, stack}, Buffers a summary, circular
// references "[Circular]", functions "[Function name]", bigints strings.
function jsonSafe(value) {
  const stack = [];
  function walk(v, depth) {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (v === undefined) return undefined;
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'symbol') return v.toString();
    if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`;
    if (stack.includes(v)) return '[Circular]';
    if (depth > MAX_DEPTH) return '[Too deep]';
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      return { type: 'Buffer', length: v.length, base64Preview: Buffer.from(v.subarray(0, 32)).toString('base64') };
    }
    if (v instanceof Error) return errorSafe(v, depth);
    if (v instanceof RealDate) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    stack.push(v);
    try {
      if (typeof v.toJSON === 'function' && !Array.isArray(v)) {
        try {
          return walk(v.toJSON(), depth + 1);
        } catch (e) {
          return `[toJSON threw: ${e && e.message}]`;
        }
      }
      if (Array.isArray(v)) {
        return v.map((x) => { const y = walk(x, depth + 1); return y === undefined ? null : y; });
      }
      if (v instanceof Map) {
        return { type: 'Map', entries: walk(Array.from(v.entries()), depth + 1) };
      }
      if (v instanceof Set) {
        return { type: 'Set', values: walk(Array.from(v.values()), depth + 1) };
      }
      if (typeof v.then === 'function') return '[Promise]';
      const out = {};
      for (const k of Object.keys(v)) {
        let x;
        try {
          x = v[k];
        } catch (e) {
          x = `[getter threw: ${e && e.message}]`;
        }
        const y = walk(x, depth + 1);
        if (y !== undefined) out[k] = y;
      }
      return out;
    } finally {
      stack.pop();
    }
  }
  function errorSafe(err, depth) {
    const out = { name: String(err.name || 'Error'), message: String(err.message), stack: String(err.stack || '') };
    // A few well-known extras help to read a trace; bodies and requests of
    // HTTP client errors are left out on purpose (they are big and circular).
    for (const k of ['code', 'status', 'statusCode', 'errno']) {
      if (err[k] !== undefined && (typeof err[k] === 'string' || typeof err[k] === 'number')) out[k] = err[k];
    }
    if (err.cause !== undefined && depth < MAX_DEPTH) out.cause = walk(err.cause, depth + 1);
    return out;
  }
  return walk(value, 0);
}

function errorInfo(err) {
  if (err instanceof Error) return jsonSafe(err);
  if (err && typeof err === 'object' && 'message' in err) {
    return { name: String(err.name || 'Error'), message: String(err.message), stack: String(err.stack || '') };
  }
  return { name: 'Error', message: String(err), stack: '' };
}

// ---------------------------------------------------------------------------
// Process-level failures, as run.js handles them: an uncaught exception
// kills the container, an unhandled rejection is only logged.

process.on('uncaughtException', (err) => {
  const fields = { ev: 'uncaughtException', error: errorInfo(err) };
  const where = componentFrame(err);
  if (where) fields.location = where;
  emitEvent(fields, 'error');
  process.exit(4);
});
process.on('unhandledRejection', (reason) => {
  emitEvent({ ev: 'unhandledRejection', error: errorInfo(reason) }, 'error');
});

// ---------------------------------------------------------------------------
// The sailor.
//
// Every elasticio-sailor-nodejs release from 2.6.0 to 2.7.x is driven
// unpatched. What the driver relies on is what all of them share:
// lib/settings.js readFrom, the Sailor class of lib/sailor.js with its
// amqpConnection, componentReader, prepare, startup and processMessage,
// TaskExec in lib/executor.js (whose emit comes from lib/emitter.js, the
// same file in every release). Where releases differ, the driver detects
// the difference instead of testing version numbers:
//   - lib/messagesDB.js (2.7.7 on) deduplicates message ids; ack and reject
//     must forget them, as the real connection does. Older releases have no
//     such store.
//   - ack and reject receive the AMQP message up to 2.7.6 and its messageId
//     from 2.7.7 on.
//   - send* receive AMQP properties ({contentType, headers, ...}) up to 2.6.5
//     and the headers themselves later.
//   - the init hook is init() up to 2.6.2 and runHookInit() later.
//   - up to 2.6.5 processMessage asserts the platform's taskId, execId and
//     userId headers, so every message carries them (the platform sends them
//     to every release).

const SAILOR = process.env.REFRESHPROOF_SAILOR
  ? path.resolve(process.env.REFRESHPROOF_SAILOR)
  : path.join(process.cwd(), 'node_modules', 'elasticio-sailor-nodejs');

let sailor;
let settings;
let messagesDB = null;

function sailorVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(SAILOR, 'package.json'), 'utf8')).version;
  } catch (e) {
    return null;
  }
}

// messageIdOf returns the message id an ack or reject is about: the id
// itself (2.7.7 on) or the AMQP message's messageId header (before).
function messageIdOf(arg) {
  if (arg && typeof arg === 'object') {
    const headers = arg.properties && arg.properties.headers;
    return headers ? headers.messageId : undefined;
  }
  return arg;
}

// headersOf returns the AMQP headers of a send* call: up to 2.6.5 the sailor
// passes AMQP properties that hold them, later the headers themselves.
function headersOf(arg) {
  if (arg && typeof arg === 'object' && typeof arg.contentType === 'string' && arg.headers && typeof arg.headers === 'object') {
    return arg.headers;
  }
  return arg;
}

// newAmqpStandIn returns an object with the methods of the sailor's Amqp
// class that message processing uses; each records an amqp event and
// resolves. ack and reject forget the message id as the real ones do, so a
// message id can be delivered again after it was settled.
function newAmqpStandIn() {
  const record = (op, payload, extra) => emitEvent(Object.assign({ ev: 'amqp', op, payload: jsonSafe(payload) }, extra), 'payload');
  const throttled = async (throttle) => {
    if (typeof throttle === 'function') await throttle();
  };
  const settle = (op, arg) => {
    const messageId = messageIdOf(arg);
    record(op, messageId === undefined ? null : messageId);
    if (messagesDB && messageId !== undefined) messagesDB.deleteMessage(messageId);
  };
  return {
    closed: false,
    async connect() { record('connect', null); },
    async disconnect() { this.closed = true; record('disconnect', null); },
    async listenQueue(queue) { record('listenQueue', queue); },
    async stopConsume() { record('stopConsume', null); },
    async sendData(data, headers, throttle) {
      await throttled(throttle);
      // The real connection serialises (and encrypts) the message; data that
      // cannot be serialised fails there, so it fails here too.
      JSON.stringify(data);
      record('sendData', data, { headers: jsonSafe(headersOf(headers)) });
    },
    async sendError(err, headers, originalMessage, throttle) {
      await throttled(throttle);
      record('sendError', err, { headers: jsonSafe(headersOf(headers)) });
    },
    async sendRebound(reboundError, originalMessage, outgoingHeaders) {
      record('sendRebound', reboundError, { headers: jsonSafe(headersOf(outgoingHeaders)) });
    },
    async sendSnapshot(data, headers, throttle) {
      await throttled(throttle);
      JSON.stringify(data);
      record('sendSnapshot', data, { headers: jsonSafe(headersOf(headers)) });
    },
    async sendHttpReply(data, headers) {
      const h = headersOf(headers);
      if (!h || !h.reply_to) {
        throw new Error('Component emitted \'httpReply\' event but \'reply_to\' was not found in AMQP headers');
      }
      JSON.stringify(data);
      record('sendHttpReply', data, { headers: jsonSafe(h) });
    },
    async ack(message) { settle('ack', message); },
    async reject(message) { settle('reject', message); },
  };
}

// recordEmits wraps TaskExec.prototype.emit (inherited from lib/emitter.js)
// so that every emit by the component or the executor is recorded before it
// is delegated, and its settlement after. The returned promise settles like
// the original, so a rejected emit nobody handles is still an unhandled
// rejection. An emit called with a `this` that is not the TaskExec (an
// unbound emit) is marked "unbound": the sailor's emitter then rejects or
// returns false, and nothing reaches the platform.
function recordEmits(TaskExec) {
  const original = TaskExec.prototype.emit;
  let emitId = 0;
  Object.defineProperty(TaskExec.prototype, 'emit', {
    configurable: true,
    writable: true,
    value: function emit(name, ...args) {
      emitId += 1;
      const id = emitId;
      const fields = { ev: 'emit', id, name: String(name), args: jsonSafe(args) };
      if (!(this instanceof TaskExec)) fields.unbound = true;
      emitEvent(fields, 'args');
      let result;
      try {
        result = original.call(this, name, ...args);
      } catch (err) {
        emitEvent({ ev: 'emit-settled', id, ok: false, error: errorInfo(err) }, 'error');
        throw err;
      }
      return Promise.resolve(result).then(
        (value) => { emitEvent({ ev: 'emit-settled', id, ok: true, handled: value === true }); return value; },
        (err) => { emitEvent({ ev: 'emit-settled', id, ok: false, error: errorInfo(err) }, 'error'); throw err; });
    },
  });
}

// loadSailor requires the parts of the sailor the driver uses and checks
// that they have the shape every supported release has. A sailor without
// them is one the driver cannot drive: the error says what is missing.
function loadSailor() {
  if (!fs.existsSync(path.join(SAILOR, 'package.json'))) {
    throw new Error(`cannot load the sailor from ${SAILOR}: elasticio-sailor-nodejs is not installed there (run npm ci in the component)`);
  }
  const lib = (name) => require(path.join(SAILOR, 'lib', name));
  const { Sailor } = lib('sailor.js');
  const { TaskExec } = lib('executor.js');
  const { readFrom } = lib('settings.js');
  const missing = [];
  if (typeof Sailor !== 'function') missing.push('lib/sailor.js Sailor');
  else {
    for (const m of ['prepare', 'startup', 'processMessage']) {
      if (typeof Sailor.prototype[m] !== 'function') missing.push(`Sailor.prototype.${m}`);
    }
    if (typeof Sailor.prototype.runHookInit !== 'function' && typeof Sailor.prototype.init !== 'function') {
      missing.push('Sailor.prototype.runHookInit (or init)');
    }
  }
  if (typeof TaskExec !== 'function' || typeof TaskExec.prototype.emit !== 'function') missing.push('lib/executor.js TaskExec with emit');
  if (typeof readFrom !== 'function') missing.push('lib/settings.js readFrom');
  if (missing.length > 0) {
    throw new Error(`the sailor ${sailorVersion() || '(unknown version)'} in ${SAILOR} lacks what the driver needs: ${missing.join(', ')}`);
  }
  // Only 2.7.7 and later have the message store.
  const dbPath = path.join(SAILOR, 'lib', 'messagesDB.js');
  if (fs.existsSync(dbPath)) {
    const db = require(dbPath);
    if (db && typeof db.deleteMessage === 'function') messagesDB = db;
  }
  return { Sailor, TaskExec, readFrom };
}

// componentFrame finds where in the component's own code an error arose:
// the file and line Node printed for a syntax error, or the first stack
// frame in the component directory outside node_modules.
function componentFrame(err) {
  const stack = err && typeof err.stack === 'string' ? err.stack : '';
  const root = process.cwd() + path.sep;
  const own = (file) => file.startsWith(root) && !file.slice(root.length).split(path.sep).includes('node_modules');
  const rel = (file) => file.slice(root.length);
  // A SyntaxError from require starts with "/abs/file.js:12", the source
  // line and a caret.
  const head = /^(\/[^\n]*?):(\d+)\n/.exec(stack);
  if (head && own(head[1])) return { file: rel(head[1]), line: Number(head[2]) };
  for (const m of stack.matchAll(/\(?(\/[^\s():]+):(\d+):(\d+)\)?$/gm)) {
    if (own(m[1])) return { file: rel(m[1]), line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

// loadFunction loads the step's trigger or action module the way the
// sailor's component reader does (the main file joined to the component
// path), at the moment the sailor would: after prepare, before the startup
// and init hooks. Loading it here first keeps Node's original error (the
// reader replaces the message of anything but a missing module); the
// sailor then gets the same module from require's cache.
async function loadFunction() {
  const reader = sailor.componentReader;
  const main = reader.findTriggerOrAction(settings.FUNCTION);
  require(path.join(reader.componentPath, main));
  await reader.loadTriggerOrAction(settings.FUNCTION);
}

function fatal(phase, err) {
  const info = errorInfo(err);
  const fields = { ev: 'fatal', phase, error: info };
  const where = componentFrame(err);
  if (where) fields.location = where;
  if (err && err.code === 'MODULE_NOT_FOUND') {
    const m = /Cannot find module '([^']+)'/.exec(String(err.message));
    if (m) fields.missingModule = m[1];
    if (Array.isArray(err.requireStack)) fields.requireStack = err.requireStack.slice(0, 8).map(String);
  }
  emitEvent(fields, 'error');
  process.exit(3);
}

async function setUp() {
  let parts;
  try {
    parts = loadSailor();
    recordEmits(parts.TaskExec);
  } catch (err) {
    return fatal('sailor', err);
  }
  // As run.js prepareSandbox: keep-alive global agents.
  http.globalAgent = new http.Agent({ keepAlive: true });
  https.globalAgent = new https.Agent({ keepAlive: true });
  try {
    settings = parts.readFrom(process.env);
    sailor = new parts.Sailor(settings);
    sailor.amqpConnection = newAmqpStandIn();
    await sailor.prepare();
  } catch (err) {
    return fatal('prepare', err);
  }
  try {
    await loadFunction();
  } catch (err) {
    return fatal('load', err);
  }
  if (settings.STARTUP_REQUIRED) {
    try {
      await sailor.startup();
    } catch (err) {
      return fatal('startup', err);
    }
  }
  try {
    await (typeof sailor.runHookInit === 'function' ? sailor.runHookInit() : sailor.init());
  } catch (err) {
    return fatal('init', err);
  }
  baseline = activeResources();
  emitEvent({ ev: 'ready', sailorVersion: sailorVersion(), node: process.version, messagesDB: messagesDB !== null });
  return true;
}

// ---------------------------------------------------------------------------
// Idle: the moment after a message when nothing the component started can
// still call back. Node lists the handles and requests that keep its event
// loop alive (timers, sockets with a request on them, file system and DNS
// requests, child processes); when none is left beyond what was there when
// the component became ready (the driver's stdin, a sailor's own timers),
// no callback can run again except through those, so no late emit or
// updateKeys can come. The Go side then settles the message at once
// instead of after its full quiet window. Idle keep-alive sockets are not
// listed (an agent unrefs them), so HTTP clients do not hold this back.
//
// Unref'd timers are not listed either, yet a component may emit from one
// (setTimeout(f, 100).unref()): the driver notes every one-shot timer
// unref'd with a delay of at most UNREF_HORIZON_MS, and is not idle while
// one is pending. Longer unref'd timers (socket and cache time-outs) and
// unref'd intervals do not hold idle back.

let baseline = null;

const UNREF_HORIZON_MS = 1000;
const unrefTimers = new Set();
// The timers' own unref, for the driver's polls, which must not hold
// themselves back.
const timerUnref = trackUnrefTimers();

function trackUnrefTimers() {
  const probe = setTimeout(() => {}, 0);
  const proto = Object.getPrototypeOf(probe);
  clearTimeout(probe);
  const unref = proto.unref;
  if (typeof unref !== 'function') return (t) => t;
  // _idleTimeout, _repeat and _destroyed are Node's own fields of a
  // Timeout, stable since Node 0.x; without them the timer is not noted.
  proto.unref = function unrefNoted(...args) {
    const ms = this._idleTimeout;
    if (!this._repeat && typeof ms === 'number' && ms >= 0 && ms <= UNREF_HORIZON_MS) unrefTimers.add(this);
    return unref.apply(this, args);
  };
  return (t) => unref.call(t);
}

// unrefPending tells whether a noted timer can still fire, forgetting
// those that fired or were cleared (Node sets _destroyed on both).
function unrefPending() {
  let pending = false;
  for (const t of unrefTimers) {
    if (t._destroyed !== false) unrefTimers.delete(t);
    else pending = true;
  }
  return pending;
}

function activeResources() {
  if (typeof process.getActiveResourcesInfo !== 'function') return null;
  const counts = new Map();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) || 0) + 1);
  return counts;
}

function isIdle() {
  const now = activeResources();
  if (now === null || baseline === null) return false;
  if (unrefPending()) return false;
  for (const [type, n] of now) {
    if (n > (baseline.get(type) || 0)) return false;
  }
  return true;
}

// watchIdle reports idle for msg once, polling with an unref'd timer (which
// does not list itself) until the next message starts.
function watchIdle(msg) {
  if (baseline === null) return;
  let wait = IDLE_POLL_MS;
  const check = () => {
    if (currentMsg !== msg) return;
    if (isIdle()) {
      emitEvent({ ev: 'idle' });
      return;
    }
    timerUnref(setTimeout(check, wait));
    wait = Math.min(wait * 2, IDLE_POLL_MAX_MS);
  };
  // setImmediate lets callbacks already queued run before the first look.
  setImmediate(check);
}

// ---------------------------------------------------------------------------
// Commands on stdin.

let deliveryTag = 0;

async function processMessage(cmd) {
  currentMsg = cmd.id === undefined ? null : String(cmd.id);
  if (cmd.clockOffsetMs !== undefined) clockOffsetMs = parseOffset(cmd.clockOffsetMs, clockOffsetMs);
  deliveryTag += 1;
  const payload = {
    id: crypto.randomUUID(),
    body: cmd.body === undefined ? {} : cmd.body,
    attachments: {},
    headers: {},
    metadata: {},
  };
  // The platform's headers on every message; sailors up to 2.6.5 reject a
  // message without them.
  const headers = {
    taskId: settings.FLOW_ID,
    execId: settings.EXEC_ID,
    userId: settings.USER_ID,
    workspaceId: settings.WORKSPACE_ID,
    messageId: cmd.messageId === undefined ? crypto.randomUUID() : String(cmd.messageId),
  };
  const amqpMessage = { fields: { deliveryTag }, properties: { headers }, content: Buffer.alloc(0) };
  try {
    await sailor.processMessage(payload, amqpMessage);
    emitEvent({ ev: 'processed', msg: currentMsg });
  } catch (err) {
    emitEvent({ ev: 'processed', msg: currentMsg, error: errorInfo(err) }, 'error');
  }
  watchIdle(currentMsg);
}

function main() {
  // Messages run one at a time, in order; clock and exit act at once.
  let queue = setUp();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      emitEvent({ ev: 'protocol-error', line: line.slice(0, PREVIEW_CHARS), error: 'not JSON' });
      return;
    }
    if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd) || typeof cmd.cmd !== 'string') {
      emitEvent({ ev: 'protocol-error', line: line.slice(0, PREVIEW_CHARS), error: 'not a command object' });
      return;
    }
    switch (cmd.cmd) {
      case 'message':
        queue = queue.then((ok) => (ok ? processMessage(cmd).then(() => true) : ok));
        break;
      case 'clock':
        if (!Number.isFinite(Number(cmd.offsetMs))) {
          emitEvent({ ev: 'protocol-error', line: line.slice(0, PREVIEW_CHARS), error: 'offsetMs is not a number' });
          break;
        }
        clockOffsetMs = Math.trunc(Number(cmd.offsetMs));
        break;
      case 'exit':
        exitFlushed();
        break;
      default:
        emitEvent({ ev: 'protocol-error', line: line.slice(0, PREVIEW_CHARS), error: `unknown command ${JSON.stringify(cmd.cmd)}` });
    }
  });
  rl.on('close', exitFlushed);
}

// exitFlushed exits once stdout and stderr have drained: writes to a pipe
// are queued in the process, and exiting at once drops what the harness
// has not read yet. The harness kills the process after its grace anyway.
function exitFlushed() {
  let pending = 2;
  const done = () => { if (--pending === 0) process.exit(0); };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main();
