// The @openrouter/sdk (TypeScript) side of tests/contract/test_sdk_drift.py: the SDK's operations and the zod
// schemas it parses a success (200/201) with, read from the installed SDK itself (esm/funcs/*.js), so a newer release brings
// its own list. `node sdk_drift.mjs list` prints [{method, path, operationId}]; `node sdk_drift.mjs check` reads
// [{method, path, media, document}] on stdin and prints the problems: zod errors, and values the SDK's open enums
// only accept as unrecognized (strict: an unknown enum value is drift too).
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as models from "@openrouter/sdk/models";
import * as operations from "@openrouter/sdk/models/operations";
import { startCountingUnrecognized } from "@openrouter/sdk/types/unrecognized.js";

const root = dirname(createRequire(import.meta.url).resolve("@openrouter/sdk/package.json"));
const namespaces = { models, operations };

function resolve(expression) {
  const [ns, name] = expression.split(".");
  const value = namespaces[ns]?.[name];
  if (value === undefined) throw new Error(`cannot resolve ${expression}`);
  return value;
}

function sdkOperations() {
  const out = [];
  for (const file of readdirSync(join(root, "esm", "funcs")).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(join(root, "esm", "funcs", file), "utf8");
    const path = text.match(/pathToFunc\("([^"]+)"\)/)?.[1];
    const method = text.match(/method: "([A-Z]+)"/)?.[1];
    const operationId = text.match(/operationID: "(\w+)"/)?.[1];
    if (!path || !method || !operationId) continue;
    // a success (200, or 201 for a creation), its schema, and the key a wrapped result sits under (a call may
    // span lines)
    const json = text.match(/M\.json\(20[01], ((?:models|operations)\.\w+\$inboundSchema)(?:,\s*\{\s*key:\s*"(\w+)",?\s*\})?/);
    const sse = text.match(/M\.sse\(200, ((?:models|operations)\.(\w+)\$inboundSchema)/);
    let event = null;
    if (sse) {
      // the stream branch parses each event with its own schema, in the response's module
      const module = join(root, "esm", "models", sse[1].startsWith("operations") ? "operations" : "", `${sse[2].toLowerCase().replace(/response$/, "")}.js`);
      const source = readFileSync(module, "utf8");
      event = source.match(/value: (models\.\w+\$inboundSchema)\.parse\(rawEvent\)/)?.[1] ?? null;
    }
    out.push({ file, method, path, operationId, json: json?.[1] ?? null, key: json?.[2] ?? null, event });
  }
  return out;
}

function problems(schema, document) {
  const counter = startCountingUnrecognized();
  const result = schema.safeParse(document);
  const unknown = counter.end();
  const out = result.success ? [] : result.error.issues.map((i) => `/${i.path.join("/")}: ${i.message}`);
  if (unknown) out.push(`${unknown} value(s) accepted only as unrecognized enum members`);
  return out;
}

const command = process.argv[2];
const ops = sdkOperations();
if (command === "list") {
  process.stdout.write(JSON.stringify(ops.map(({ method, path, operationId }) => ({ method, path, operationId }))));
} else if (command === "check") {
  const documents = JSON.parse(readFileSync(0, "utf8"));
  const found = [];
  for (const { method, path, media, document } of documents) {
    const op = ops.find((o) => o.method === method && o.path === path);
    if (!op) { found.push(`${method} ${path}: not an SDK operation`); continue; }
    const stream = media === "text/event-stream";
    const expression = stream ? op.event : op.json;
    if (!expression) { found.push(`${method} ${path}: the SDK reads no ${media}`); continue; }
    const wrapped = stream ? { data: document } : op.key ? { [op.key]: document } : document;
    for (const p of problems(resolve(expression), wrapped)) found.push(`${op.operationId} (${media}): ${p}`);
  }
  process.stdout.write(JSON.stringify(found));
} else {
  process.stderr.write("usage: sdk_drift.mjs list|check\n");
  process.exit(2);
}
