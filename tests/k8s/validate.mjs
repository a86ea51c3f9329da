// Offline schema check of Kubernetes manifests: every document of every file given is validated against the API
// schema of its apiVersion/kind, as compiled into the kubernetes-models package (generated from the Kubernetes
// OpenAPI spec: types, formats, enums, required fields). That package ignores unknown keys, so a typo'd key would
// pass it: every object is also walked against the key lists of the same models (see strictKeys below).
//   node tests/k8s/validate.mjs configs/deploy/k8s/*.yaml
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const modules = join(dirname(fileURLToPath(import.meta.url)), "node_modules");
const interfaces = new Map();

/** The keys of the first interface declared in a model's .d.ts, each with the .d.ts of its object type (null for leaves). */
function strictKeys(dts) {
  if (interfaces.has(dts)) return interfaces.get(dts);
  const text = readFileSync(dts, "utf8");
  const imports = new Map([...text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)].map(m => [m[1], m[2]]));
  const body = text.match(/export interface \w+[^{]*\{([\s\S]*?)\n\}/)[1];
  const keys = new Map();
  for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
    const type = m[2].replace(/;$/, "").replace(/^Array<(.+)>$/, "$1");
    const from = imports.get(type);
    let target = null;
    if (from && type.startsWith("IIo")) {
      target = from.startsWith(".") ? join(dirname(dts), from.replace(/\.js$/, ".d.ts")) : join(modules, from + ".d.ts");
      if (!existsSync(target)) target = null;
    }
    keys.set(m[1], target);
  }
  interfaces.set(dts, keys);
  return keys;
}

/** Every key of the object that its model does not declare (a typo the schema package would let through). */
function unknownKeys(value, dts, path, out) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => unknownKeys(v, dts, `${path}[${i}]`, out));
    return out;
  }
  if (value === null || typeof value !== "object") return out;
  const keys = strictKeys(dts);
  for (const [k, v] of Object.entries(value)) {
    if (!keys.has(k)) out.push(`${path}.${k}: unknown key`);
    else if (keys.get(k)) unknownKeys(v, keys.get(k), `${path}.${k}`, out);
  }
  return out;
}

let failures = 0, checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      console.log(`${file} #${i}: YAML: ${doc.errors.map(e => e.message).join("; ")}`);
      failures++;
      continue;
    }
    const obj = doc.toJS();
    if (obj == null) continue;
    const { apiVersion, kind } = obj;
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
    const path = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
    let Model;
    try {
      Model = (await import(path))[kind];
    } catch (e) {
      console.log(`${file} #${i}: no schema for ${apiVersion} ${kind} (${e.message})`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      const unknown = unknownKeys(obj, join(modules, path + ".d.ts"), "data", []);
      if (unknown.length > 0) throw new Error(unknown.join(", "));
      checked++;
      console.log(`ok ${file} #${i}: ${apiVersion} ${kind} ${obj.metadata?.name ?? ""}`);
    } catch (e) {
      console.log(`${file} #${i}: ${apiVersion} ${kind} ${obj.metadata?.name ?? ""}: ${e.message}`);
      failures++;
    }
  }
}
console.log(`${checked} passed, ${failures} failed`);
process.exit(failures > 0 || checked === 0 ? 1 : 0);
