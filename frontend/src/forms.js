// The offline forms, built from the cached definitions; the same fields as POST /api/v1/cases/. Client checks only
// catch what is missing; the server is the judge.
import { h } from "./dom.js";
import { t } from "./strings.js";

export const MEMBER_FIELDS = [
  { name: "given_names", type: "text", required: true },
  { name: "family_names", type: "text", required: true },
  { name: "relationship", list: "relationships", required: true },
  { name: "sex", list: "sexes", required: true },
  { name: "date_of_birth", type: "date" },
  { name: "estimated_age", type: "number" },
  { name: "nationality", list: "countries", required: true },
  { name: "document_type", list: "document_types" },
  { name: "document_number", type: "text" },
  { name: "document_issuing_country", list: "countries" },
  { name: "phone", type: "tel" },
  { name: "place_of_origin", type: "text", full: true },
  { name: "languages", type: "text" },
  { name: "intended_destination", type: "text" },
];
export const CASE_EDIT_FIELDS = [
  { name: "destination_country", list: "countries" },
  { name: "how_heard", list: "how_heard" },
  { name: "intake_date", type: "date" },
];

let uid = 0;

function options(defs, list, value, blank = true) {
  const items = Array.isArray(list) ? list : (defs.code_lists && defs.code_lists[list]) || [];
  return [blank ? h("option", { value: "" }, "—") : null,
    ...items.map((item) => h("option", { value: item.value, selected: item.value === value }, item.label))];
}

/** One labelled input; returns the wrapper, with .input on it. */
export function field(defs, spec, value, { prefix = "b", required = spec.required } = {}) {
  const id = `${prefix}-${spec.name}-${++uid}`;
  let input;
  if (spec.list) {
    input = h("select", { class: "form-select form-select-sm", id, name: spec.name }, options(defs, spec.list, value));
  } else if (spec.type === "textarea") {
    input = h("textarea", { class: "form-control form-control-sm", id, name: spec.name, rows: 2 });
    input.value = value || "";
  } else {
    input = h("input", { class: "form-control form-control-sm", id, name: spec.name, type: spec.type || "text",
      value: value === null || value === undefined ? "" : String(value) });
  }
  const wrapper = h("div", { class: spec.wide ? "col-12" : "col-sm-6 col-lg-3 mb-2", "data-field": spec.name },
    h("label", { class: "form-label small mb-0", for: id }, t(`field.${spec.name}`), required ? " *" : ""),
    input, h("div", { class: "invalid-feedback", "data-error": spec.name }));
  wrapper.input = input;
  return wrapper;
}

export function readField(wrapper) {
  const input = wrapper.input;
  if (input.type === "checkbox") return input.checked;
  if (input.type === "number") return input.value === "" ? null : Number(input.value);
  if (input.type === "date") return input.value || null;
  return input.value.trim();
}

/** A member's block of fields; `.read()` gives the member's values, `.fields` the wrappers by name. */
export function memberBlock(defs, member = {}, { quick = false, title = "", onRemove = null } = {}) {
  const fields = {};
  const row = h("div", { class: "row g-2" });
  for (const spec of MEMBER_FIELDS) {
    const initial = member[spec.name] ?? (spec.name === "relationship" ? "" : "");
    fields[spec.name] = field(defs, spec, initial, { required: spec.required || (spec.full && !quick) });
    row.appendChild(fields[spec.name]);
  }
  const block = h("fieldset", { class: "border rounded p-2 mb-2", testid: "booth-member" },
    h("legend", { class: "h6 float-none w-auto px-1 mb-0" }, title),
    row,
    onRemove ? h("button", { type: "button", class: "btn btn-sm btn-outline-danger", onclick: onRemove },
      t("Remove this member")) : null);
  block.fields = fields;
  block.read = () => Object.fromEntries(Object.entries(fields).map(([name, w]) => [name, readField(w)]));
  return block;
}

/** Missing fields of one member, as {field: message}. */
export function memberProblems(member, { quick = false } = {}) {
  const problems = {};
  for (const spec of MEMBER_FIELDS) {
    if ((spec.required || (spec.full && !quick)) && !member[spec.name]) problems[spec.name] = t("This field is required.");
  }
  if (!member.date_of_birth && (member.estimated_age === null || member.estimated_age === undefined)) {
    problems.date_of_birth = t("Give the date of birth or an estimated age.");
  }
  if (member.document_number && !member.document_type) {
    problems.document_type = t("Say which document this number is from.");
  }
  if (member.estimated_age !== null && member.estimated_age !== undefined
      && (member.estimated_age < 0 || member.estimated_age > 120)) {
    problems.estimated_age = t("An age is between 0 and 120.");
  }
  return problems;
}

/** Show {field: message} on the wrappers of a block (and clear the others). */
export function showProblems(fields, problems) {
  let first = null;
  for (const [name, wrapper] of Object.entries(fields)) {
    const message = problems[name];
    wrapper.input.classList.toggle("is-invalid", Boolean(message));
    wrapper.querySelector("[data-error]").textContent = message || "";
    if (message && !first) first = wrapper.input;
  }
  if (first) first.focus();
  return !first;
}

/** A member's values without the empty ones, typed as the API wants them. */
export function memberPayload(values) {
  const member = {};
  for (const spec of MEMBER_FIELDS) {
    const value = values[spec.name];
    if (value === "" || value === null || value === undefined) continue;
    member[spec.name] = spec.name === "document_number" ? String(value).toUpperCase() : value;
  }
  return member;
}

export function labelOf(defs, list, value) {
  const item = ((defs.code_lists && defs.code_lists[list]) || []).find((i) => i.value === value);
  return item ? item.label : value || "";
}

export function memberName(member) {
  return [member.given_names, member.family_names].filter(Boolean).join(" ");
}
