// The UI's words come from Django's translations: the shell page carries them as a JSON catalogue.
let catalogue = {};

export function load(strings) {
  catalogue = strings || {};
}

/** The translated string for `key`, with %(name)s placeholders filled from `params`. */
export function t(key, params) {
  const text = Object.prototype.hasOwnProperty.call(catalogue, key) ? catalogue[key] : key;
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
