// IndexedDB through Dexie. Clear: only non-personal metadata (ids, sequences, kinds, statuses, dates, result codes
// and references). Every payload, result message and cached case is sealed with the data key (crypto.js).
// static/js/booth-guard.js reads the same database with the raw API: keep the names in step with it.
import Dexie from "dexie";

export const DB_NAME = "avr-booth";
export const db = new Dexie(DB_NAME);
db.version(1).stores({
  meta: "key",                          // device, keys (wrapped), definitions (code lists, no personal data)
  operations: "id, sequence, status",   // the outbox
  cases: "key, case_id",                // cases registered or opened here, sealed
});

export const UNSENT = ["pending", "rejected", "corrupt"];

export async function getMeta(key) {
  const row = await db.meta.get(key);
  return row ? row.value : undefined;
}

export async function setMeta(key, value) {
  await db.meta.put({ key, value });
}

/** Operations the server has not taken yet and that were not exported: they block sign-out. */
export async function unsentOperations() {
  const rows = await db.operations.where("status").anyOf(UNSENT).toArray();
  return rows.filter((op) => !op.exported_at);
}

export async function pendingOperations() {
  return db.operations.where("status").equals("pending").sortBy("sequence");
}
