// The booth's keys. A random AES-GCM data key (DEK) encrypts every queued payload and every cached case; it is kept
// only wrapped (AES-KW): with the server's per-user device key, and optionally with a key derived from a booth PIN.
// The unwrapped DEK lives in this module's memory only, never in IndexedDB or localStorage.

const subtle = globalThis.crypto.subtle;
export const PBKDF2_ITERATIONS = 310000;

let dek = null;

export function b64u(bytes) {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  let text = "";
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64u(text) {
  const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

export function unlocked() {
  return dek !== null;
}

export function forget() {
  dek = null;
}

async function serverKek(serverKey) {
  return subtle.importKey("raw", unb64u(serverKey), { name: "AES-KW" }, false, ["wrapKey", "unwrapKey"]);
}

async function pinKek(pin, salt) {
  const base = await subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations: PBKDF2_ITERATIONS }, base,
    { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

async function unwrapWith(kek, wrapped) {
  // Extractable, because it must be wrapped again (for the PIN and for an export); it is still never stored clear.
  return subtle.unwrapKey("raw", unb64u(wrapped), kek, "AES-KW", { name: "AES-GCM", length: 256 }, true,
    ["encrypt", "decrypt"]);
}

/** A new data key, held in memory; returns it wrapped with the server key (base64url) for storage. */
export async function createDek(serverKey) {
  dek = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  return wrapForServer(serverKey);
}

export async function wrapForServer(serverKey) {
  return b64u(await subtle.wrapKey("raw", dek, await serverKek(serverKey), "AES-KW"));
}

export async function unlockWithServerKey(serverKey, wrapped) {
  dek = await unwrapWith(await serverKek(serverKey), wrapped);
}

/** The DEK wrapped with a key derived from the PIN: {salt, wrapped, iterations}. */
export async function wrapForPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const wrapped = await subtle.wrapKey("raw", dek, await pinKek(pin, salt), "AES-KW");
  return { salt: b64u(salt), wrapped: b64u(wrapped), iterations: PBKDF2_ITERATIONS };
}

/** Unlock offline with the PIN; a wrong PIN fails AES-KW's integrity check and throws. */
export async function unlockWithPin(pin, pinWrap) {
  dek = await unwrapWith(await pinKek(pin, unb64u(pinWrap.salt)), pinWrap.wrapped);
}

/** {iv, ciphertext} (base64url; the GCM tag at the end of the ciphertext) of a value's JSON, with a fresh IV. */
export async function seal(value) {
  if (!dek) throw new Error("locked");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(JSON.stringify(value));
  return { iv: b64u(iv), ciphertext: b64u(await subtle.encrypt({ name: "AES-GCM", iv }, dek, data)) };
}

export async function open(record) {
  if (!dek) throw new Error("locked");
  const plain = await subtle.decrypt({ name: "AES-GCM", iv: unb64u(record.iv) }, dek, unb64u(record.ciphertext));
  return JSON.parse(new TextDecoder().decode(plain));
}
