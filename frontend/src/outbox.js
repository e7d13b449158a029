// The outbox: a submit becomes an operation (UUID v7 id = Idempotency-Key, per-device sequence), sealed in
// IndexedDB; sync sends pending operations in sequence order in batches and records each result.
import { v7 as uuidv7 } from "uuid";

import { ApiError, NetworkError, request } from "./api.js";
import { open, seal, unlocked } from "./crypto.js";
import { db, getMeta, pendingOperations, setMeta, UNSENT, unsentOperations } from "./db.js";

export const HEARTBEAT_MS = 5 * 60 * 1000;

export function pad4(n) {
  return String(n).padStart(4, "0");
}

/** Take the next provisional reference of the device's block, or "" when the block is used up. */
export async function takeReference() {
  return db.transaction("rw", db.meta, async () => {
    const device = await getMeta("device");
    const block = device.block;
    if (!block || device.next_number > block.end) return "";
    const reference = block.prefix + pad4(device.next_number);
    device.next_number += 1;
    await setMeta("device", device);
    return reference;
  });
}

export async function referencesLeft() {
  const device = await getMeta("device");
  if (!device || !device.block) return 0;
  return Math.max(0, device.block.end - device.next_number + 1);
}

/**
 * Queue an operation. `caseRecord(id)` may return {clear, data}: the case to store (sealed) in the same transaction.
 * The payload is sealed before the transaction (WebCrypto is not an IndexedDB request).
 */
export async function enqueue(kind, payload, formVersion, { provisionalReference = "", caseRecord = null } = {}) {
  const id = uuidv7();
  const sealed = await seal(payload);
  const now = new Date().toISOString();
  const record = caseRecord ? caseRecord(id) : null;
  const sealedCase = record ? { ...record.clear, ...(await seal(record.data)) } : null;
  return db.transaction("rw", db.meta, db.operations, db.cases, async () => {
    const device = await getMeta("device");
    const sequence = device.next_sequence;
    device.next_sequence += 1;
    await setMeta("device", device);
    const op = {
      id, sequence, kind, form_version: formVersion, captured_at: now, created_at: now, status: "pending",
      iv: sealed.iv, ciphertext: sealed.ciphertext, provisional_reference: provisionalReference,
      code: "", reference: "", case_id: null, result: null, exported_at: null, attempts: 0,
    };
    await db.operations.add(op);
    if (sealedCase) await db.cases.put(sealedCase);
    return op;
  });
}

async function storageReport() {
  try {
    const estimate = navigator.storage && navigator.storage.estimate ? await navigator.storage.estimate() : {};
    const persisted = navigator.storage && navigator.storage.persisted ? await navigator.storage.persisted() : false;
    return { usage: estimate.usage || 0, quota: estimate.quota || 0, persisted };
  } catch {
    return { usage: 0, quota: 0, persisted: false };
  }
}

/** Update the sealed case a result is about: server ids, version, reference. */
async function recordCase(op, payload, result) {
  const info = result.case;
  if (!info) return;
  let row = null;
  if (op.kind === "register") row = await db.cases.get(op.id);
  if (!row && info.id) row = await db.cases.where("case_id").equals(info.id).first();
  if (!row) return;
  const data = await open(row);
  data.id = info.id || data.id;
  data.reference = info.reference || data.reference;
  if (info.version) data.version = info.version;
  for (const member of info.members || []) {
    if (op.kind === "register" && data.members[member.index]) data.members[member.index].id = member.id;
  }
  if (op.kind === "member_add" && result.member && result.member.id) {
    const added = data.members.find((m) => m.op === op.id);
    if (added) added.id = result.member.id;
  }
  if (op.kind === "member_add" && !(result.member && result.member.id)) {
    // The server lists the household's members: the new one is the id the device does not know yet.
    const known = new Set(data.members.map((m) => m.id).filter(Boolean));
    const added = data.members.find((m) => m.op === op.id);
    const fresh = (info.members || []).find((m) => m.id && !known.has(m.id));
    if (added && fresh) added.id = fresh.id;
  }
  const sealed = await seal(data);
  await db.cases.put({ ...row, case_id: data.id || null, version: data.version || null,
    reference: data.reference || "", iv: sealed.iv, ciphertext: sealed.ciphertext });
}

const DONE = { applied: "done", replayed: "done", conflict: "conflict", rejected: "rejected" };

async function recordResult(op, payload, result) {
  if (result.status === "retry") {
    // The server could not apply it now (nothing saved): it stays queued for the next sync.
    await db.operations.update(op.id, { attempts: (op.attempts || 0) + 1, code: result.code || "" });
    return;
  }
  let status = DONE[result.status] || "rejected";
  // The case exists all the same; the slip's reference is kept as a note on it.
  if (result.status === "rejected" && result.code === "reference_not_reserved" && result.case) status = "done";
  const details = { message: result.message || "", errors: result.errors || null, conflicts: result.conflicts || [],
    possible_duplicates: result.possible_duplicates || 0 };
  const sealedResult = await seal(details);
  await recordCase(op, payload, result);
  await db.operations.update(op.id, {
    status, code: result.code || "", reference: (result.case && result.case.reference) || "",
    case_id: (result.case && result.case.id) || null, result: sealedResult,
    possible_duplicates: result.possible_duplicates || 0, conflict_count: (result.conflicts || []).length,
    synced_at: new Date().toISOString(),
  });
}

/**
 * Send what is pending (and a heartbeat when nothing is, at most every 5 minutes unless `force`).
 * Returns {sent, results, error}; a network error leaves everything queued.
 */
export async function syncOnce({ urls, limits, force = false } = {}) {
  const device = await getMeta("device");
  if (!device || device.revoked) return { sent: 0, error: device ? "device_revoked" : "no_device" };
  if (!unlocked()) return { sent: 0, error: "locked" };
  const batchMax = (limits && limits.batch_max) || 100;
  let sent = 0;
  for (;;) {
    const pending = await pendingOperations();
    const lastContact = device.last_contact_at ? Date.parse(device.last_contact_at) : 0;
    if (!pending.length && !force && Date.now() - lastContact < HEARTBEAT_MS && sent === 0) return { sent };
    if (!pending.length && sent > 0) return { sent };
    const batch = [];
    const operations = [];
    const payloads = {};
    for (const op of pending.slice(0, batchMax)) {
      try {
        payloads[op.id] = await open(op);
      } catch {
        // A record damaged on the device fails its GCM tag: set aside (kept sealed, exported), never guessed at,
        // so it does not hold back the rest of the queue.
        await db.operations.update(op.id, { status: "corrupt", code: "corrupt" });
        continue;
      }
      batch.push(op);
      operations.push({ id: op.id, sequence: op.sequence, kind: op.kind, form_version: op.form_version,
        captured_at: op.captured_at, payload: payloads[op.id] });
    }
    const envelope = {
      device: device.id, pending: pending.length,
      oldest_pending_at: pending.length ? pending.reduce((a, op) => (op.captured_at < a ? op.captured_at : a),
        pending[0].captured_at) : null,
      storage: await storageReport(), operations,
    };
    let answer;
    try {
      answer = await request("POST", urls.sync, envelope);
    } catch (error) {
      if (error instanceof ApiError && error.code === "device_revoked") {
        await markDevice({ revoked: true });
        return { sent, error: "device_revoked" };
      }
      if (error instanceof NetworkError) return { sent, error: "network" };
      await markDevice({ last_error: error.code || String(error.status) });
      return { sent, error: error.code || "refused", detail: error.message };
    }
    const byId = new Map((answer.results || []).map((r) => [r.id, r]));
    let stopped = false;
    for (const op of batch) {
      const result = byId.get(op.id);
      if (result) await recordResult(op, payloads[op.id], result);
      if (!result || result.status === "retry") stopped = true;
    }
    sent += batch.length;
    await markDevice({ last_contact_at: new Date().toISOString(), last_sequence_server: answer.last_sequence,
      last_error: "" });
    device.last_contact_at = new Date().toISOString();
    // The server stopped at an operation it could not apply now: what follows waits for the next sync.
    if (stopped) return { sent, error: "retry" };
    if (!batch.length || batch.length < batchMax) return { sent };
  }
}

async function markDevice(changes) {
  await db.transaction("rw", db.meta, async () => {
    const device = await getMeta("device");
    if (device) await setMeta("device", { ...device, ...changes });
  });
}

/**
 * The way out when the queue cannot be sent: the unsent operations still sealed, with the data key wrapped by the
 * server key, so only the server can read the file. Needs no unlock (it never decrypts anything).
 */
export async function exportQueue(user) {
  const device = await getMeta("device");
  const keys = await getMeta("keys");
  const ops = (await db.operations.where("status").anyOf(UNSENT).toArray())
    .sort((a, b) => a.sequence - b.sequence);
  const now = new Date().toISOString();
  const file = {
    format: "avr-booth-export-1", device: device.id, user: user.id, username: user.username, exported_at: now,
    wrapped_key: keys ? keys.server_wrapped : null,
    cipher: { payload: "AES-256-GCM, 12-byte IV, tag appended; JSON of the payload", key: "AES-KW (RFC 3394)" },
    operations: ops.map((op) => ({ id: op.id, sequence: op.sequence, kind: op.kind, form_version: op.form_version,
      captured_at: op.captured_at, status: op.status, iv: op.iv, ciphertext: op.ciphertext })),
  };
  await db.transaction("rw", db.operations, async () => {
    for (const op of ops) await db.operations.update(op.id, { exported_at: now });
  });
  return file;
}

export { unsentOperations };
