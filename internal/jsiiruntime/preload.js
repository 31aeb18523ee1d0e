// Preloaded into jsii's two Node.js processes by start.sh (node --require;
// the runtime host passes node's flags on to the kernel it starts).
"use strict";
const Module = require("module");

// 1. The AWS provider's lib/index.js requires all of its 2,087 submodules
// (200 MB of JavaScript) as soon as jsii loads the package, although a
// stack uses a dozen: compiling them was 2 of the 3 seconds of a synthesis
// and most of its memory. Each `exports.x = require("./x");` line of that
// one file becomes a getter that requires the submodule on first use. The
// exports keep their names and values; a file of another shape is compiled
// as it is.
const providerIndex = "/node_modules/@cdktf/provider-aws/lib/index.js";
const eagerExport = /^exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w.-]+)"\);$/gm;

// 2. cdktf gives every terraform_data resource (and every import or moved
// block) a validation that runs `terraform version` in a child process when
// the stack is synthesized: about 45 ms a stack, half of a 41-stack
// synthesis. Its answer cannot change while the process lives, so the
// command runs once per process; each validation still matches the version
// against its own constraint, and a failed command fails every validation
// with the same error as before. The run starts as soon as cdktf loads, in
// the background: it overlaps the start-up instead of adding to the
// synthesis, and terraform (50 MB) has exited before the runtime reaches its
// peak memory. Only its success is kept: a failure runs the command again
// when a validation asks, for cdktf's own error.
const binaryVersionCheck = "/node_modules/cdktf/lib/validations/validate-binary-version.js";
const versionCommandCall = "(0, child_process_1.execSync)(this.versionCommand, {";
// cdktf's own command (lib/util.js, lib/validations/validate-terraform-version.js).
const terraformVersion = `${process.env.TERRAFORM_BINARY_NAME || "terraform"} version`;
const versionOutputs = new Map();
exports.versionOutput = (command, options) => {
  if (!versionOutputs.has(command)) {
    try {
      versionOutputs.set(command, { output: require("child_process").execSync(command, options) });
    } catch (error) {
      versionOutputs.set(command, { error });
    }
  }
  const { output, error } = versionOutputs.get(command);
  if (error) {
    throw error;
  }
  return output;
};

// exports.versionLookup settles when the background run has ended.
function startVersionLookup(command) {
  exports.versionLookup = new Promise((settle) => {
    require("child_process").exec(command, { encoding: "buffer" }, (error, stdout) => {
      if (!error && !versionOutputs.has(command)) {
        versionOutputs.set(command, { output: stdout });
      }
      settle();
    });
  });
}

const compile = Module.prototype._compile;

Module.prototype._compile = function (content, filename) {
  const file = filename.replaceAll("\\", "/");
  if (file.endsWith(providerIndex)) {
    content = content.replace(eagerExport, (_, name, path) =>
      `Object.defineProperty(exports, ${JSON.stringify(name)}, ` +
      `{ enumerable: true, configurable: true, get: () => require(${JSON.stringify(path)}) });`);
  } else if (file.endsWith(binaryVersionCheck)) {
    content = content.replace(versionCommandCall,
      `require(${JSON.stringify(__filename)}).versionOutput(this.versionCommand, {`);
    startVersionLookup(terraformVersion);
  }
  return compile.call(this, content, filename);
};

// 3. When the Go process stops the runtime early (Ctrl-C), it stops reading
// the host's stdout; a reply still on its way then fails with EPIPE, which
// would print a stack trace. Nobody is listening any more: drop it. The
// kernel still exits on its own and removes its temporary folder.
if (process.argv[1] && process.argv[1].endsWith("jsii-runtime.js")) {
  process.stdout.on("error", (error) => {
    if (error.code !== "EPIPE") {
      throw error;
    }
  });
}
