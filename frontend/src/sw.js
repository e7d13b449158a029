// The booth's service worker (Workbox). /booth/sw.js sets self.__BOOTH = {assets, shell, version} and imports this.
// Precached: the shell's static assets. Network first: the shell page and the form definitions (falling back to
// the cache offline). Nothing else is cached: no other API answer, no page with a person's data.
import { cleanupOutdatedCaches, precacheAndRoute } from "workbox-precaching";
import { registerRoute } from "workbox-routing";
import { NetworkFirst } from "workbox-strategies";

const booth = self.__BOOTH || { assets: [], shell: "/booth/", version: "0" };

self.addEventListener("install", () => self.skipWaiting());

// The first visit loaded the shell before this worker ran: keep a copy now, so the booth opens offline at once.
async function warm(name, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (response.ok && !response.redirected) await (await caches.open(name)).put(url, response);
  } catch {
    // Offline already: the next visit online fills it.
  }
}

self.addEventListener("activate", (event) => event.waitUntil(Promise.all([
  self.clients.claim(), warm("booth-shell", booth.shell), warm("booth-definitions", "/api/v1/sync/definitions/"),
])));

cleanupOutdatedCaches();
precacheAndRoute(booth.assets.map((url) => ({ url, revision: booth.version })));

// Only a plain 200 of our own origin is kept: never a redirect to the sign-in page, an error or an opaque answer.
const onlyOk = {
  cacheWillUpdate: async ({ response }) => (response && response.status === 200 && response.type === "basic"
    && !response.redirected ? response : null),
};

registerRoute(({ url, request }) => url.origin === self.location.origin && url.pathname === booth.shell
  && request.method === "GET",
new NetworkFirst({ cacheName: `booth-shell`, networkTimeoutSeconds: 8, plugins: [onlyOk], matchOptions: { ignoreVary: true } }));

registerRoute(({ url, request }) => url.origin === self.location.origin
  && url.pathname === "/api/v1/sync/definitions/" && request.method === "GET",
new NetworkFirst({ cacheName: `booth-definitions`, networkTimeoutSeconds: 8, plugins: [onlyOk], matchOptions: { ignoreVary: true } }));
