// Sign-out is refused while this browser's offline booth holds operations that were not sent (or exported): they
// would be stranded behind a key that sign-out wipes. Otherwise sign-out wipes the booth's keys, cached cases and
// queue, and its cached shell, then goes on. Reads the booth's IndexedDB (frontend/src/db.js) with the raw API.
(function () {
  "use strict";
  var script = document.currentScript;
  var DB_NAME = "avr-booth";
  var UNSENT = { pending: true, rejected: true, corrupt: true };

  function hasBoothDatabase() {
    if (!window.indexedDB) return Promise.resolve(false);
    if (!indexedDB.databases) return Promise.resolve(true);
    return indexedDB.databases().then(function (list) {
      return list.some(function (d) { return d.name === DB_NAME; });
    }, function () { return true; });
  }

  function openDatabase() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME);
      request.onupgradeneeded = function () { request.transaction.abort(); };  // never create it here
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  /** The booth's owner (the user who enrolled it here), or null. */
  function ownerOf(db) {
    return new Promise(function (resolve) {
      if (!db.objectStoreNames.contains("meta")) return resolve(null);
      var request = db.transaction("meta").objectStore("meta").get("device");
      request.onsuccess = function () { resolve(request.result ? request.result.value.user_id : null); };
      request.onerror = function () { resolve(null); };
    });
  }

  function unsentCount(db) {
    return new Promise(function (resolve, reject) {
      if (!db.objectStoreNames.contains("operations")) return resolve(0);
      var request = db.transaction("operations").objectStore("operations").getAll();
      request.onsuccess = function () {
        resolve(request.result.filter(function (op) { return UNSENT[op.status] && !op.exported_at; }).length);
      };
      request.onerror = function () { reject(request.error); };
    });
  }

  function wipe(db) {
    return new Promise(function (resolve) {
      var stores = ["operations", "cases", "meta"].filter(function (s) { return db.objectStoreNames.contains(s); });
      if (!stores.length) return resolve();
      var tx = db.transaction(stores, "readwrite");
      if (stores.indexOf("operations") >= 0) tx.objectStore("operations").clear();
      if (stores.indexOf("cases") >= 0) tx.objectStore("cases").clear();
      if (stores.indexOf("meta") >= 0) tx.objectStore("meta").delete("keys");  // the wrapped data key, both wraps
      tx.oncomplete = tx.onerror = tx.onabort = function () { resolve(); };
    }).then(function () {
      if (!window.caches) return;
      return Promise.all([caches.delete("booth-shell"), caches.delete("booth-definitions")]);
    });
  }

  function refuse(form, count) {
    var old = document.querySelector("[data-testid=booth-signout-refused]");
    if (old) old.remove();
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", "booth-signout-refused");
    alert.textContent = script.dataset.refused.replace("{n}", count) + " ";
    if (location.pathname !== script.dataset.boothUrl) {
      var link = document.createElement("a");
      link.href = script.dataset.boothUrl;
      link.textContent = script.dataset.openLabel;
      alert.appendChild(link);
    }
    var main = document.querySelector("main") || document.body;
    main.insertBefore(alert, main.firstChild);
    window.scrollTo(0, 0);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[action$='/accounts/logout/']") || form.dataset.boothChecked) return;
    event.preventDefault();
    var go = function () {
      form.dataset.boothChecked = "1";
      form.submit();
    };
    hasBoothDatabase().then(function (exists) {
      if (!exists) return go();
      return openDatabase().then(function (db) {
        return ownerOf(db).then(function (owner) {
          // Another user's booth: theirs to send; this user signs out and leaves it untouched.
          if (owner !== null && String(owner) !== script.dataset.user) {
            db.close();
            return go();
          }
          return unsentCount(db);
        }).then(function (count) {
          if (count === undefined) return;
          if (count) {
            db.close();
            return refuse(form, count);
          }
          return wipe(db).then(function () { db.close(); go(); });
        });
      });
    }).catch(function () { go(); });  // no readable booth database: nothing of the booth's to protect
  }, true);
})();
