// The booth app: enrol the tablet, unlock its data key, register and edit offline into the sealed outbox, sync.
import { ApiError, NetworkError, request, setCsrf } from "./api.js";
import * as keys from "./crypto.js";
import { db, getMeta, pendingOperations, setMeta, unsentOperations } from "./db.js";
import { clear, h } from "./dom.js";
import {
  CASE_EDIT_FIELDS, field, labelOf, memberBlock, memberName, memberPayload, memberProblems, MEMBER_FIELDS, readField,
  showProblems,
} from "./forms.js";
import { enqueue, exportQueue, HEARTBEAT_MS, referencesLeft, syncOnce, takeReference } from "./outbox.js";
import { load, t } from "./strings.js";

const config = JSON.parse(document.getElementById("booth-config").textContent);
load(config.strings);
const urls = config.urls;
const root = document.getElementById("booth-app");
const statusBox = h("div", { class: "booth-status d-flex flex-wrap align-items-center gap-2 mb-3" });
const noticeBox = h("div", { class: "booth-notices" });
const bodyBox = h("div", { class: "booth-body" });
const state = {
  defs: null, device: null, keys: null, blocked: null, view: "register", editing: null, slip: null, syncing: false,
  notice: null, storage: "", revoked: false,
};

// ---------- start ----------

async function start() {
  clear(root).append(statusBox, noticeBox, bodyBox);
  registerWorker();
  persistStorage();
  state.defs = (await getMeta("definitions")) || null;
  await refreshDefinitions();
  await checkOwner();
  if (!state.blocked) await unlock();
  renderAll();
  window.addEventListener("online", () => { renderStatus(); syncNow("online"); });
  window.addEventListener("offline", renderStatus);
  setInterval(() => syncNow("timer"), 30_000);
  if (navigator.onLine) syncNow("start");
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(urls.sw, { scope: urls.scope }).catch(() => {});
}

async function persistStorage() {
  try {
    if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) {
      await navigator.storage.persist();
    }
  } catch {
    // Not granted: the estimate below says so.
  }
  await refreshStorage();
}

async function refreshStorage() {
  if (!navigator.storage || !navigator.storage.estimate) return;
  const estimate = await navigator.storage.estimate();
  const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
  const free = Math.max(0, (estimate.quota || 0) - (estimate.usage || 0));
  state.storage = t("Free space: %(free)s MB · persistent storage: %(persisted)s",
    { free: Math.round(free / 1048576), persisted: persisted ? t("yes") : t("no") });
  renderStatus();
}

async function refreshDefinitions() {
  if (!navigator.onLine) return;
  try {
    const defs = await request("GET", urls.definitions);
    setCsrf(defs.csrf_token);
    const { csrf_token: _token, ...kept } = defs;
    state.defs = kept;
    await setMeta("definitions", kept);
  } catch {
    // Offline or refused: the cached definitions serve.
  }
}

/** Another user's unsent queue blocks the booth; a previous user's empty device is forgotten. */
async function checkOwner() {
  const device = await getMeta("device");
  if (device && device.user_id !== config.user.id) {
    const unsent = await unsentOperations();
    if (unsent.length) {
      state.blocked = { username: device.username, count: unsent.length };
      return;
    }
    await db.transaction("rw", db.meta, db.operations, db.cases, async () => {
      await db.operations.clear();
      await db.cases.clear();
      await db.meta.delete("device");
      await db.meta.delete("keys");
    });
  }
  state.device = (await getMeta("device")) || null;
  state.keys = (await getMeta("keys")) || null;
  state.revoked = Boolean(state.device && state.device.revoked);
}

/** The data key into memory: with the server key when online, else with the booth PIN. */
async function unlock() {
  if (keys.unlocked() || !state.device) return;
  if (navigator.onLine) {
    try {
      const { key } = await request("GET", `${urls.devices}${state.device.id}/key/`);
      if (state.keys && state.keys.server_wrapped) {
        await keys.unlockWithServerKey(key, state.keys.server_wrapped);
      } else {
        state.keys = { server_wrapped: await keys.createDek(key), pin: null };
        await setMeta("keys", state.keys);
      }
      return;
    } catch (error) {
      if (error instanceof ApiError && error.code === "device_revoked") {
        await markRevoked();
        return;
      }
      if (!(error instanceof NetworkError)) {
        notice("danger", error instanceof ApiError ? error.message : t("The server key does not open this tablet's data."));
      }
    }
  }
}

async function markRevoked() {
  state.revoked = true;
  const device = await getMeta("device");
  if (device) await setMeta("device", { ...device, revoked: true });
  state.device = { ...state.device, revoked: true };
}

// ---------- status bar ----------

async function counts() {
  const ops = await db.operations.toArray();
  const by = (status) => ops.filter((op) => op.status === status).length;
  return { pending: by("pending"), conflict: by("conflict"), rejected: by("rejected"), corrupt: by("corrupt") };
}

async function renderStatus() {
  const n = await counts();
  const online = navigator.onLine;
  clear(statusBox).append(...[
    h("span", { class: `badge ${online ? "text-bg-success" : "text-bg-secondary"}`, testid: "booth-online" },
      online ? t("Online") : t("Offline")),
    h("span", { class: `badge ${n.pending ? "text-bg-warning" : "text-bg-light border"}`, testid: "booth-queued" },
      t("queued (%(n)s)", { n: n.pending })),
    n.conflict ? h("a", { class: "badge text-bg-danger", href: urls.conflicts, testid: "booth-conflicts" },
      t("conflicts (%(n)s)", { n: n.conflict })) : null,
    n.rejected ? h("span", { class: "badge text-bg-danger", testid: "booth-rejected" },
      t("rejected (%(n)s)", { n: n.rejected })) : null,
    n.corrupt ? h("span", { class: "badge text-bg-danger", testid: "booth-corrupt",
      title: t("Damaged on this tablet and not sent: export the queue and give the file to your supervisor.") },
    t("damaged (%(n)s)", { n: n.corrupt })) : null,
    state.device && !state.blocked ? h("button", { type: "button", class: "btn btn-sm btn-primary", testid: "booth-sync",
      disabled: state.syncing || !online || state.revoked, onclick: () => syncNow("manual") },
    state.syncing ? t("Syncing…") : t("Sync now")) : null,
    state.device && !state.blocked ? h("button", { type: "button", class: "btn btn-sm btn-outline-secondary",
      testid: "booth-export", onclick: exportFile }, t("Export queue")) : null,
    h("span", { class: "small text-body-secondary", testid: "booth-storage" }, state.storage),
    state.device ? h("span", { class: "small text-body-secondary ms-auto" },
      t("Tablet: %(label)s", { label: state.device.label })) : null,
  ].filter(Boolean));
}

function notice(kind, text, extra = null) {
  state.notice = { kind, text, extra };
  clear(noticeBox).append(h("div", { class: `alert alert-${kind}`, role: "alert", testid: "booth-notice" }, text,
    extra ? " " : null, extra));
}

function clearNotice() {
  state.notice = null;
  clear(noticeBox);
}

// ---------- sync ----------

async function syncNow(reason) {
  if (state.syncing) {
    state.again = true;  // queued while a sync ran: one more round when it ends
    return;
  }
  if (state.blocked || !state.device || !navigator.onLine) return;
  if (reason === "timer" && keys.unlocked()) {
    // Every 30 s only while something waits; otherwise a heartbeat at most every 5 minutes.
    const idle = !(await pendingOperations()).length;
    const last = state.device.last_contact_at ? Date.parse(state.device.last_contact_at) : 0;
    if (idle && Date.now() - last < HEARTBEAT_MS) return;
  }
  const run = async () => {
    state.syncing = true;
    renderStatus();
    try {
      const wasLocked = !keys.unlocked();
      await unlock();
      if (wasLocked && (keys.unlocked() || state.revoked)) renderBody();
      if (!keys.unlocked() || state.revoked) return;
      await refreshDefinitions();
      const result = await syncOnce({ urls, limits: state.defs && state.defs.limits, force: reason === "manual" });
      state.device = await getMeta("device");
      if (result.error === "device_revoked") {
        state.revoked = true;
        renderBody();
      } else if (result.error === "network") {
        if (reason === "manual") notice("warning", t("No connection: everything stays queued."));
      } else if (result.error) {
        notice("danger", t("The server refused the batch: %(detail)s", { detail: result.detail || result.error }));
      } else if (reason === "manual" || result.sent) {
        notice("success", t("Synced: %(n)s operations sent.", { n: result.sent }));
      }
      if (!result.error) await refillReferences();
    } finally {
      state.syncing = false;
      if (state.again) {
        state.again = false;
        setTimeout(() => syncNow("again"), 0);
      }
      await renderStatus();
      if (state.view !== "register" && !state.editing) renderBody();
      refreshStorage();
    }
  };
  if (navigator.locks) await navigator.locks.request("avr-booth-sync", { ifAvailable: true }, (lock) => lock && run());
  else await run();
}

async function refillReferences() {
  if ((await referencesLeft()) >= 20) return;
  try {
    const block = await request("POST", `${urls.devices}${state.device.id}/references/`, {});
    const device = await getMeta("device");
    await setMeta("device", { ...device, block, next_number: block.start });
    state.device = await getMeta("device");
  } catch {
    // Try again at the next sync.
  }
}

async function exportFile() {
  const file = await exportQueue(config.user);
  const blob = new Blob([JSON.stringify(file, null, 1)], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob),
    download: `avr-booth-${file.device}-${file.exported_at.slice(0, 19).replace(/:/g, "")}.json` });
  document.body.appendChild(link);
  link.click();
  link.remove();
  notice("info", t("Exported %(n)s operations. Hand the file to your supervisor; it can only be read by the server.",
    { n: file.operations.length }));
}

// ---------- body ----------

function renderAll() {
  renderStatus();
  renderBody();
}

async function renderBody() {
  const body = clear(bodyBox);
  if (state.blocked) {
    body.append(h("div", { class: "alert alert-danger", testid: "booth-other-user" },
      t("This tablet holds %(n)s unsent operations of %(user)s. Only they can send or export them: ask them to sign in here. The booth does not work for anyone else until then.",
        { n: state.blocked.count, user: state.blocked.username })));
    return;
  }
  if (!state.defs) {
    body.append(h("div", { class: "alert alert-warning" }, t("Open this page once while online to load the forms.")));
    return;
  }
  if (!state.device) return body.append(enrolForm());
  if (state.revoked) {
    body.append(h("div", { class: "alert alert-danger", testid: "booth-revoked" },
      t("This tablet was revoked by a supervisor: it can no longer send. Nothing queued was deleted: use “Export queue” and hand the file to your supervisor.")));
    return;
  }
  if (!keys.unlocked()) return body.append(unlockForm());
  if (state.keys && !state.keys.pin) body.append(pinForm());
  const tabs = [["register", t("Register a household")], ["cases", t("Cases on this tablet")], ["queue", t("Queue")]];
  body.append(h("ul", { class: "nav nav-tabs mb-3" }, tabs.map(([view, label]) => h("li", { class: "nav-item" },
    h("button", { type: "button", class: `nav-link${state.view === view ? " active" : ""}`, testid: `booth-tab-${view}`,
      onclick: () => { state.view = view; state.editing = null; renderBody(); } }, label)))));
  if (state.view === "register") body.append(registerView());
  else if (state.view === "cases") body.append(await casesView());
  else body.append(await queueView());
}

function enrolForm() {
  const offices = state.defs.offices || [];
  const label = h("input", { class: "form-control", id: "booth-label", required: true });
  const office = h("select", { class: "form-select", id: "booth-office" },
    offices.map((o) => h("option", { value: o.code }, o.name)));
  const form = h("form", { class: "card card-body", testid: "booth-enrol", onsubmit: async (event) => {
    event.preventDefault();
    if (!label.value.trim()) return notice("warning", t("Give this tablet a name."));
    try {
      const device = await request("POST", urls.devices, { label: label.value.trim(), office: office.value });
      const wrapped = await keys.createDek(device.key);
      const block = device.reference_block;
      state.device = { id: device.id, label: device.label, office: device.office, user_id: config.user.id,
        username: config.user.username, block, next_number: block.start,
        next_sequence: (device.last_sequence || 0) + 1, revoked: false };
      state.keys = { server_wrapped: wrapped, pin: null };
      await db.transaction("rw", db.meta, async () => {
        await setMeta("device", state.device);
        await setMeta("keys", state.keys);
      });
      clearNotice();
      renderAll();
    } catch (error) {
      notice("danger", error instanceof NetworkError ? t("Enrolling a tablet needs a connection.") : error.message);
    }
  } },
  h("h2", { class: "h5" }, t("Enrol this tablet")),
  h("p", { class: "small" }, t("Once per tablet, online: the server gives it a key and a block of provisional references.")),
  h("label", { class: "form-label", for: "booth-label" }, t("Name of this tablet")), label,
  offices.length > 1 ? [h("label", { class: "form-label mt-2", for: "booth-office" }, t("Booth")), office] : null,
  h("button", { type: "submit", class: "btn btn-primary mt-3", testid: "booth-enrol-submit" }, t("Enrol")));
  if (offices.length === 1) office.value = offices[0].code;
  return form;
}

function unlockForm() {
  const pin = h("input", { class: "form-control", type: "password", inputmode: "numeric", id: "booth-pin",
    autocomplete: "off" });
  const canPin = state.keys && state.keys.pin;
  return h("form", { class: "card card-body", testid: "booth-unlock", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await keys.unlockWithPin(pin.value, state.keys.pin);
      clearNotice();
      renderAll();
    } catch {
      notice("danger", t("Wrong PIN."));
    }
  } },
  h("h2", { class: "h5" }, t("The booth is locked")),
  h("p", {}, canPin ? t("Offline: type the booth PIN to open the queue and the cases.")
    : t("Connect to the network to unlock (no booth PIN was set). The queue is safe and is counted above.")),
  canPin ? [h("label", { class: "form-label", for: "booth-pin" }, t("Booth PIN")), pin,
    h("button", { type: "submit", class: "btn btn-primary mt-2", testid: "booth-unlock-submit" }, t("Unlock"))] : null);
}

function pinForm() {
  const pin = h("input", { class: "form-control form-control-sm", type: "password", inputmode: "numeric",
    autocomplete: "new-password", id: "booth-new-pin", minlength: 6 });
  return h("form", { class: "card card-body mb-3 py-2", testid: "booth-pin-form", onsubmit: async (event) => {
    event.preventDefault();
    if (pin.value.length < 6) return notice("warning", t("A booth PIN has at least 6 characters."));
    state.keys = { ...state.keys, pin: await keys.wrapForPin(pin.value) };
    await setMeta("keys", state.keys);
    notice("success", t("Booth PIN set: the booth can be unlocked offline."));
    renderBody();
  } },
  h("div", { class: "row g-2 align-items-end" },
    h("div", { class: "col-sm-6" }, h("label", { class: "form-label small mb-0", for: "booth-new-pin" },
      t("Set a booth PIN to unlock offline after the page was closed")), pin),
    h("div", { class: "col-auto" }, h("button", { type: "submit", class: "btn btn-sm btn-outline-primary" },
      t("Set PIN")))));
}

// ---------- register ----------

function today() {
  return new Date().toISOString().slice(0, 10);
}

function choice(name, list, value, testid) {
  const items = (state.defs.code_lists && state.defs.code_lists[list]) || [];
  return h("div", { class: "d-flex flex-wrap gap-3", testid },
    items.map((item, i) => h("div", { class: "form-check" },
      h("input", { class: "form-check-input", type: "radio", name, id: `${name}-${i}`, value: item.value,
        checked: item.value === value }),
      h("label", { class: "form-check-label", for: `${name}-${i}` }, item.label))));
}

function registerView() {
  const defs = state.defs;
  const box = h("div", {});
  if (state.slip) box.append(slip(state.slip));
  const programmes = defs.programmes || [];
  const programme = field(defs, { name: "programme", list: programmes.map((p) => ({ value: p.code, label: p.name })) },
    "", { required: true });
  if (programmes.length === 1) programme.input.value = programmes[0].code;
  const destination = field(defs, { name: "destination_country", list: "countries", required: true }, "");
  const filterDestinations = () => {
    const chosen = programmes.find((p) => p.code === programme.input.value);
    for (const option of destination.input.options) {
      option.hidden = Boolean(option.value && chosen && chosen.return_countries && chosen.return_countries.length
        && !chosen.return_countries.includes(option.value));
    }
  };
  programme.input.addEventListener("change", filterDestinations);
  filterDestinations();
  const howHeard = field(defs, { name: "how_heard", list: "how_heard", required: true }, "");
  const intake = field(defs, { name: "intake_date", type: "date" }, today());
  const notes = field(defs, { name: "caseworker_notes", type: "textarea", wide: true }, "");
  const quick = h("input", { class: "form-check-input", type: "checkbox", id: "booth-quick" });
  const consentReason = field(defs, { name: "consent_reason", type: "text", wide: true }, "");
  const consentDate = field(defs, { name: "consent_date", type: "date" }, today());
  const consent = choice("consent_type", "consent_types", "", "booth-consent");
  const consentProblem = h("div", { class: "text-danger small", testid: "booth-consent-problem" });
  const reasonVisible = () => {
    const checked = consent.querySelector("input:checked");
    consentReason.hidden = !checked || checked.value === "explicit";
  };
  consent.addEventListener("change", reasonVisible);
  reasonVisible();

  const members = [];
  const membersBox = h("div", {});
  const addMember = (values = {}) => {
    const block = memberBlock(defs, values, {
      title: t("Member %(n)s", { n: members.length + 1 }),
      onRemove: members.length ? () => { members.splice(members.indexOf(block), 1); block.remove(); } : null,
    });
    if (!members.length) block.fields.relationship.input.value = "principal";
    members.push(block);
    membersBox.append(block);
  };
  addMember();
  const householdProblem = h("div", { class: "text-danger small", testid: "booth-household-problem" });

  const form = h("form", { class: "booth-register", testid: "booth-register", novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      const isQuick = quick.checked;
      const checked = consent.querySelector("input:checked");
      const caseFields = { programme, destination_country: destination, how_heard: howHeard, intake_date: intake,
        consent_reason: consentReason };
      const problems = {};
      for (const name of ["programme", "destination_country"]) if (!readField(caseFields[name])) problems[name] = t("This field is required.");
      if (!isQuick && !readField(howHeard)) problems.how_heard = t("This field is required.");
      if (checked && checked.value !== "explicit" && !readField(consentReason)) problems.consent_reason = t("Say why the consent is not explicit.");
      consentProblem.textContent = checked ? "" : t("Record the consent to collect data first: no consent, no case.");
      const values = members.map((block) => block.read());
      const principals = values.filter((m) => m.relationship === "principal").length;
      const max = (defs.limits && defs.limits.household_max_members) || 12;
      householdProblem.textContent = principals !== 1 ? t("A household has exactly one principal.")
        : values.length > max ? t("A household has at most %(count)s members; register the others as a household of their own.", { count: max }) : "";
      let ok = showProblems(caseFields, problems) && checked && !householdProblem.textContent;
      members.forEach((block, i) => { ok = showProblems(block.fields, memberProblems(values[i], { quick: isQuick })) && ok; });
      if (!ok) {
        notice("warning", t("Some fields are missing: they are marked in red."));
        return;
      }
      const body = {
        programme: readField(programme), office: state.device.office || "", destination_country: readField(destination),
        consent: { type: checked.value, reason: readField(consentReason), date: readField(consentDate) },
        members: values.map(memberPayload), how_heard: readField(howHeard), intake_date: readField(intake),
        caseworker_notes: readField(notes), quick: isQuick,
      };
      await queueRegistration(body);
    } },
  h("section", { class: "card card-body mb-3" },
    h("h2", { class: "h6" }, t("1. Consent to collect data")), consent, consentProblem,
    h("div", { class: "row g-2 mt-1" }, consentReason, consentDate)),
  h("section", { class: "card card-body mb-3" },
    h("h2", { class: "h6" }, t("2. Case")),
    h("div", { class: "row g-2" }, programme, destination, howHeard, intake, notes),
    h("div", { class: "form-check mt-2" }, quick,
      h("label", { class: "form-check-label", for: "booth-quick" }, t("Quick registration (surge): the rest later")))),
  h("section", { class: "card card-body mb-3" },
    h("h2", { class: "h6" }, t("3. Household")), membersBox, householdProblem,
    h("button", { type: "button", class: "btn btn-sm btn-outline-primary align-self-start", testid: "booth-add-member",
      onclick: () => addMember() }, t("Add a member"))),
  h("button", { type: "submit", class: "btn btn-primary", testid: "booth-register-submit" }, t("Queue the registration")));
  box.append(form);
  return box;
}

async function queueRegistration(body) {
  const reference = await takeReference();
  const payload = { ...body, provisional_reference: reference };
  const op = await enqueue("register", payload, state.defs.form_version, {
    provisionalReference: reference,
    caseRecord: (id) => ({
      clear: { key: id, case_id: null, version: null, reference: "", provisional_reference: reference },
      data: { op: id, id: null, reference: "", provisional_reference: reference, version: null,
        programme: body.programme, office: body.office, destination_country: body.destination_country,
        how_heard: body.how_heard, intake_date: body.intake_date, registered_at: new Date().toISOString(),
        members: body.members.map((m, index) => ({ ...m, index, id: null })) },
    }),
  });
  const principal = body.members.find((m) => m.relationship === "principal") || body.members[0];
  state.slip = { reference, name: memberName(principal), members: body.members.length, date: body.intake_date,
    office: state.device.office, op: op.id };
  notice("success", reference ? t("Queued. Provisional reference %(reference)s.", { reference })
    : t("Queued. No provisional reference left on this tablet: connect to get a new block."));
  renderAll();
  window.scrollTo(0, 0);
  if (navigator.onLine) syncNow("submit");
}

function slip(data) {
  return h("div", { class: "booth-slip card card-body mb-3", testid: "booth-slip" },
    h("h2", { class: "h5" }, t("Registration slip")),
    h("p", { class: "display-6 mb-1", testid: "booth-slip-reference" }, data.reference || "—"),
    h("p", { class: "mb-1" }, data.name),
    h("p", { class: "small mb-1" }, t("%(n)s people · %(office)s · %(date)s",
      { n: data.members, office: data.office, date: data.date })),
    h("p", { class: "small" }, t("Keep this slip: it is your provisional reference until the case is confirmed.")),
    h("div", { class: "d-print-none" },
      h("button", { type: "button", class: "btn btn-sm btn-outline-primary me-2", onclick: () => window.print() },
        t("Print slip")),
      h("button", { type: "button", class: "btn btn-sm btn-link", onclick: () => { state.slip = null; renderBody(); } },
        t("Close"))));
}

// ---------- cases on this tablet ----------

async function loadCases() {
  const rows = await db.cases.toArray();
  const cases = [];
  for (const row of rows) {
    try {
      cases.push({ row, data: await keys.open(row) });
    } catch {
      cases.push({ row, data: null });
    }
  }
  return cases.sort((a, b) => String(b.data && b.data.registered_at).localeCompare(String(a.data && a.data.registered_at)));
}

async function saveCase(row, data) {
  const sealed = await keys.seal(data);
  await db.cases.put({ ...row, case_id: data.id || null, version: data.version || null, reference: data.reference || "",
    iv: sealed.iv, ciphertext: sealed.ciphertext });
}

function caseRef(data) {
  return data.id ? data.id : { op: data.op };
}

function memberRef(data, member) {
  if (member.id) return member.id;
  if (member.op) return { op: member.op, index: 0 };
  return { op: data.op, index: member.index };
}

async function casesView() {
  const box = h("div", {});
  box.append(openCaseForm());
  const cases = await loadCases();
  if (!cases.length) box.append(h("p", { class: "text-body-secondary" }, t("No case on this tablet yet.")));
  for (const { row, data } of cases) {
    if (!data) continue;
    box.append(caseCard(row, data));
  }
  return box;
}

function openCaseForm() {
  const input = h("input", { class: "form-control form-control-sm", id: "booth-open-case", inputmode: "numeric" });
  return h("form", { class: "row g-2 align-items-end mb-3", testid: "booth-open-form", onsubmit: async (event) => {
    event.preventDefault();
    const id = parseInt(input.value, 10);
    if (!id) return;
    try {
      const found = await request("GET", `${urls.cases_api}${id}/`);
      await keepCase(found);
      clearNotice();
      renderBody();
    } catch (error) {
      notice("warning", error instanceof NetworkError ? t("Opening a case needs a connection.")
        : t("No case with that number that you may see."));
    }
  } },
  h("div", { class: "col-auto" }, h("label", { class: "form-label small mb-0", for: "booth-open-case" },
    t("Keep a case on this tablet (case number)")), input),
  h("div", { class: "col-auto" }, h("button", { type: "submit", class: "btn btn-sm btn-outline-primary" }, t("Keep"))));
}

/** A case opened online, kept sealed so it can be edited offline. */
async function keepCase(found) {
  const existing = await db.cases.where("case_id").equals(found.id).first();
  const key = existing ? existing.key : `case-${found.id}`;
  const data = {
    op: existing ? (await keys.open(existing)).op : null, id: found.id, reference: found.reference || "",
    provisional_reference: existing ? existing.provisional_reference : "", version: found.version,
    programme: found.programme, office: found.office, destination_country: found.destination_country,
    how_heard: found.how_heard, intake_date: found.intake_date, registered_at: found.created_at,
    members: (found.members || []).map((m, index) => {
      const member = { index, id: m.id };
      for (const spec of MEMBER_FIELDS) if (m[spec.name] !== undefined && m[spec.name] !== null) member[spec.name] = m[spec.name];
      return member;
    }),
  };
  await saveCase({ key, provisional_reference: data.provisional_reference }, data);
}

function caseCard(row, data) {
  const defs = state.defs;
  const editing = state.editing && state.editing.key === row.key ? state.editing : null;
  const principal = data.members.find((m) => m.relationship === "principal") || data.members[0] || {};
  const act = (kind, extra = {}) => () => { state.editing = { key: row.key, kind, ...extra }; renderBody(); };
  const card = h("div", { class: "card mb-3", testid: "booth-case", "data-reference": data.reference || data.provisional_reference },
    h("div", { class: "card-header d-flex flex-wrap gap-2 align-items-center" },
      h("strong", {}, data.reference || data.provisional_reference || t("(no reference yet)")),
      data.reference && data.provisional_reference ? h("span", { class: "small text-body-secondary" }, data.provisional_reference) : null,
      h("span", { class: "badge text-bg-light border" }, data.id ? t("synced, version %(v)s", { v: data.version }) : t("not synced yet")),
      h("span", {}, memberName(principal))),
    h("ul", { class: "list-group list-group-flush" }, data.members.map((member) => h("li", { class: "list-group-item d-flex gap-2 align-items-center" },
      h("span", { class: "flex-grow-1" }, memberName(member), " · ", labelOf(defs, "relationships", member.relationship),
        member.date_of_birth ? ` · ${member.date_of_birth}` : ""),
      h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", testid: "booth-edit-member",
        onclick: act("member_edit", { index: data.members.indexOf(member) }) }, t("Edit"))))),
    h("div", { class: "card-body d-flex flex-wrap gap-2" },
      h("button", { type: "button", class: "btn btn-sm btn-outline-primary", testid: "booth-member-add", onclick: act("member_add") }, t("Add a member")),
      h("button", { type: "button", class: "btn btn-sm btn-outline-primary", testid: "booth-case-edit", onclick: act("case_edit") }, t("Edit the case")),
      h("button", { type: "button", class: "btn btn-sm btn-outline-primary", testid: "booth-counselling", onclick: act("counselling") }, t("Record a counselling session")),
      h("button", { type: "button", class: "btn btn-sm btn-outline-danger", testid: "booth-withdraw", onclick: act("consent_withdraw") }, t("Withdraw consent")),
      h("button", { type: "button", class: "btn btn-sm btn-link", onclick: () => {
        state.slip = { reference: data.provisional_reference || data.reference, name: memberName(principal),
          members: data.members.length, date: data.intake_date, office: data.office };
        state.view = "register";
        renderBody();
      } }, t("Slip"))));
  if (editing) card.append(h("div", { class: "card-body border-top" }, editForm(row, data, editing)));
  return card;
}

function formButtons(label) {
  return h("div", { class: "mt-2 d-flex gap-2" },
    h("button", { type: "submit", class: "btn btn-sm btn-primary", testid: "booth-edit-submit" }, label),
    h("button", { type: "button", class: "btn btn-sm btn-outline-secondary",
      onclick: () => { state.editing = null; renderBody(); } }, t("Cancel")));
}

async function queued(kind, payload, row, data) {
  await enqueue(kind, payload, state.defs.form_version, {
    caseRecord: () => ({ clear: { key: row.key, case_id: data.id || null, version: data.version || null,
      reference: data.reference || "", provisional_reference: row.provisional_reference || "" }, data }),
  });
  state.editing = null;
  notice("success", t("Queued."));
  renderAll();
  if (navigator.onLine) syncNow("submit");
}

function editForm(row, data, editing) {
  const defs = state.defs;
  if (editing.kind === "member_edit") {
    const member = data.members[editing.index];
    const block = memberBlock(defs, member, { title: memberName(member), quick: true });
    return h("form", { testid: "booth-member-form", onsubmit: async (event) => {
      event.preventDefault();
      const values = memberPayload(block.read());
      const changes = {};
      const base = {};
      for (const spec of MEMBER_FIELDS) {
        const now = values[spec.name] ?? "";
        const before = member[spec.name] ?? "";
        if (String(now) !== String(before)) {
          changes[spec.name] = now === "" ? (spec.name === "estimated_age" || spec.name === "date_of_birth" ? null : "") : now;
          base[spec.name] = member[spec.name] ?? null;
        }
      }
      if (!Object.keys(changes).length) return notice("info", t("Nothing changed."));
      const problems = memberProblems({ ...member, ...values }, { quick: true });
      if (!showProblems(block.fields, problems)) return;
      Object.assign(member, values);
      await queued("member_edit", { member: memberRef(data, member), base_version: data.version, base, changes }, row, data);
    } }, block, formButtons(t("Queue the change")));
  }
  if (editing.kind === "member_add") {
    // A member joining later is checked as by the full form (the server's case_member_add asks for every field).
    const block = memberBlock(defs, { relationship: "" }, { title: t("New member"), quick: false });
    return h("form", { testid: "booth-member-form", onsubmit: async (event) => {
      event.preventDefault();
      const values = block.read();
      if (!showProblems(block.fields, memberProblems(values, { quick: false }))) return;
      const member = memberPayload(values);
      const op = { value: null };
      data.members.push({ ...member, index: data.members.length, id: null, op: null });
      const added = data.members[data.members.length - 1];
      await enqueue("member_add", { case: caseRef(data), member }, defs.form_version, {
        caseRecord: (id) => {
          op.value = id;
          added.op = id;
          return { clear: { key: row.key, case_id: data.id || null, version: data.version || null,
            reference: data.reference || "", provisional_reference: row.provisional_reference || "" }, data };
        },
      });
      state.editing = null;
      notice("success", t("Queued."));
      renderAll();
      if (navigator.onLine) syncNow("submit");
    } }, block, formButtons(t("Queue the new member")));
  }
  if (editing.kind === "case_edit") {
    const fields = Object.fromEntries(CASE_EDIT_FIELDS.map((spec) => [spec.name, field(defs, spec, data[spec.name])]));
    const notes = field(defs, { name: "notes_append", type: "textarea", wide: true }, "");
    return h("form", { testid: "booth-case-form", onsubmit: async (event) => {
      event.preventDefault();
      const changes = {};
      const base = {};
      for (const [name, wrapper] of Object.entries(fields)) {
        const value = readField(wrapper);
        if (String(value ?? "") !== String(data[name] ?? "")) {
          changes[name] = value;
          base[name] = data[name] ?? null;
        }
      }
      const append = readField(notes);
      if (!Object.keys(changes).length && !append) return notice("info", t("Nothing changed."));
      Object.assign(data, changes);
      await queued("case_edit", { case: caseRef(data), base_version: data.version, base, changes, notes_append: append }, row, data);
    } }, h("div", { class: "row g-2" }, Object.values(fields), notes), formButtons(t("Queue the change")));
  }
  if (editing.kind === "counselling") {
    const held = field(defs, { name: "held_on", type: "date" }, today());
    const language = field(defs, { name: "language", type: "text" }, "es");
    const interpreter = field(defs, { name: "interpreter", type: "text" }, "");
    const topics = h("div", { class: "d-flex flex-wrap gap-3" }, ((defs.code_lists && defs.code_lists.counselling_topics) || []).map((item, i) =>
      h("div", { class: "form-check" }, h("input", { class: "form-check-input", type: "checkbox", value: item.value, id: `booth-topic-${i}` }),
        h("label", { class: "form-check-label", for: `booth-topic-${i}` }, item.label))));
    const questions = field(defs, { name: "questions", type: "textarea", wide: true }, "");
    const outcome = field(defs, { name: "outcome", list: "counselling_outcomes", required: true }, "");
    const notes = field(defs, { name: "notes", type: "textarea", wide: true }, "");
    return h("form", { testid: "booth-counselling-form", onsubmit: async (event) => {
      event.preventDefault();
      if (!showProblems({ outcome, held_on: held }, {
        ...(readField(outcome) ? {} : { outcome: t("This field is required.") }),
        ...(readField(held) ? {} : { held_on: t("This field is required.") }) })) return;
      const payload = { case: caseRef(data), held_on: readField(held), language: readField(language),
        interpreter: readField(interpreter), topics: [...topics.querySelectorAll("input:checked")].map((i) => i.value),
        questions: readField(questions), outcome: readField(outcome), notes: readField(notes) };
      await queued("counselling", payload, row, data);
    } }, h("div", { class: "row g-2" }, held, language, interpreter, outcome),
    h("p", { class: "small mb-1" }, t("Topics")), topics, h("div", { class: "row g-2" }, questions, notes),
    formButtons(t("Queue the session")));
  }
  // consent_withdraw
  return h("form", { testid: "booth-withdraw-form", onsubmit: async (event) => {
    event.preventDefault();
    await queued("consent_withdraw", { case: caseRef(data), scope: "collection" }, row, { ...data, consent_withdrawn: true });
  } }, h("p", {}, t("The household withdraws its consent to the collection of its data. A withdrawal always wins over other changes.")),
  formButtons(t("Confirm the withdrawal")));
}

// ---------- queue ----------

const STATUS_LABELS = () => ({ pending: t("queued"), done: t("sent"), conflict: t("conflict"), rejected: t("rejected"),
  corrupt: t("damaged") });

async function queueView() {
  const ops = (await db.operations.toArray()).sort((a, b) => b.sequence - a.sequence);
  if (!ops.length) return h("p", { class: "text-body-secondary" }, t("Nothing queued."));
  const labels = STATUS_LABELS();
  const rows = [];
  for (const op of ops) {
    let detail = null;
    if (op.status === "rejected" && op.result) {
      try {
        const result = await keys.open(op.result);
        detail = h("div", { class: "small text-danger", testid: "booth-rejected-message" }, op.code, ": ", result.message,
          result.errors ? ` ${JSON.stringify(result.errors)}` : "");
      } catch {
        detail = h("div", { class: "small text-danger" }, op.code);
      }
    }
    if (op.status === "conflict") {
      detail = h("a", { href: urls.conflicts, testid: "booth-conflict-link" },
        t("Some values differ from the server's: resolve them on the conflicts page"));
    }
    rows.push(h("tr", { testid: "booth-op", "data-status": op.status, "data-kind": op.kind },
      h("td", {}, op.sequence), h("td", {}, t(`kind.${op.kind}`)),
      h("td", {}, op.reference || op.provisional_reference || ""),
      h("td", {}, h("span", { class: `badge ${op.status === "done" ? "text-bg-success" : op.status === "pending" ? "text-bg-warning" : "text-bg-danger"}` },
        labels[op.status] || op.status), op.possible_duplicates ? h("span", { class: "badge text-bg-info ms-1" },
        t("possible duplicate")) : null, detail),
      h("td", { class: "small" }, new Date(op.captured_at).toLocaleString())));
  }
  return h("table", { class: "table table-sm" },
    h("thead", {}, h("tr", {}, [t("No."), t("What"), t("Reference"), t("Status"), t("Captured")].map((c) => h("th", {}, c)))),
    h("tbody", {}, rows));
}

start();

// For the browser tests and for support: the raw queue count, without decrypting anything.
window.avrBooth = { pending: async () => (await pendingOperations()).length, syncNow: () => syncNow("manual") };
