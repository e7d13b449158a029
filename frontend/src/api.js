// The server's JSON API (session auth; CSRF header on writes). Errors come back in the house shape.

let csrfToken = "";

export function setCsrf(token) {
  if (token) csrfToken = token;
}

function pageCsrf() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "";
    this.body = body || {};
  }
}

/** Thrown when the request never got an answer (offline, server down): nothing changes on the device. */
export class NetworkError extends Error {}

export async function request(method, url, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRFToken"] = csrfToken || pageCsrf();
    init.body = JSON.stringify(body || {});
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new NetworkError(String(error));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status >= 500 || data === null) throw new NetworkError(`HTTP ${response.status}`);
    throw new ApiError(response.status, data);
  }
  return data;
}
