// Compiles the benchmark's own .ts files on load with swc, without type checks.
//
// Not ts-node: ts-node loads Node's `repl`, which loads `domain`, and a loaded
// `domain` module puts a hook on every promise and EventEmitter of the
// process. A Medusa server runs compiled JavaScript without it, so measuring
// under ts-node taxed every target's async code with a cost no store pays.
const fs = require("fs")
const { transformSync } = require("@swc/core")

function compile(module, filename) {
  const source = fs.readFileSync(filename, "utf8")
  const { code } = transformSync(source, {
    filename,
    sourceMaps: "inline",
    jsc: {
      parser: { syntax: "typescript", decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: false },
      target: "es2021",
    },
    module: { type: "commonjs" },
  })
  module._compile(code, filename)
}

if (!require.extensions[".ts"]) require.extensions[".ts"] = compile
