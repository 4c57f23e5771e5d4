// Parse an AsyncAPI document (read from stdin) with the AsyncAPI project's own parser, print every diagnostic
// it reports (errors, warnings, information, hints) as a JSON line, and exit 1 when any is an error or a warning.
// NODE_PATH names the node_modules `make setup` installs from this directory's lock (var/asyncapi-parser/).
const { Parser } = require("@asyncapi/parser");

const SEVERITIES = ["error", "warning", "information", "hint"];

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const diagnostics = await new Parser().validate(Buffer.concat(chunks).toString("utf8"));
  for (const diagnostic of diagnostics) {
    console.log(JSON.stringify({
      severity: SEVERITIES[diagnostic.severity], code: diagnostic.code,
      path: diagnostic.path.join("/"), message: diagnostic.message,
    }));
  }
  process.exitCode = diagnostics.some((diagnostic) => diagnostic.severity <= 1) ? 1 : 0;
}

main().catch((error) => { console.error(error); process.exitCode = 2; });
