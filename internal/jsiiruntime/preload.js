// Preloaded by start.sh (node --require) into jsii's kernel, the Node.js
// process that runs the JavaScript; where the kernel starts through jsii's
// host (3. below), into both, as the host passes node's flags on.
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

// 3. jsii's runtime is two Node.js processes: a host that relays every
// request and answer between the Go process and the kernel, its child. A
// round trip through both took twice as long as one to the kernel alone,
// and a stack makes about 80 of them; the host also held 55 MB. start.sh
// starts the kernel alone, with the Go process's requests on fd 3 and its
// answers going to the fd named here (stdout is stderr, for what the
// kernel prints). The kernel knows fd 3 as both; its program is told
// otherwise where it opens them. Not for child processes.
const kernelAnswerFD = Number(process.env.AURORA_STAGES_KERNEL_FD) || 0;
delete process.env.AURORA_STAGES_KERNEL_FD;
// What jsii's kernel program opens (jsii-runtime-go's
// internal/embedded/resources/lib/program.js, checked by a test and by
// jsiiruntime before it chooses this start).
exports.kernelStdio = "readFD:3,writeFD:3}";

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
  } else if (kernelAnswerFD && this.id === ".") {
    if (!content.includes(exports.kernelStdio)) {
      throw new Error(`${filename} does not open ${exports.kernelStdio} as internal/jsiiruntime expects`);
    }
    content = content.replace(exports.kernelStdio, `readFD:3,writeFD:${kernelAnswerFD}}`);
  }
  return compile.call(this, content, filename);
};

// 4. When the Go process stops the runtime early (Ctrl-C), it stops reading
// the answers; one still on its way then fails with EPIPE, which would
// print a stack trace. Nobody is listening any more: the kernel ends as it
// would on the exit request, which removes its temporary folder. Started
// through the host (a kernel program of another shape), the host drops it
// and the kernel exits on its own.
if (kernelAnswerFD) {
  const fs = require("fs");
  const writeSync = fs.writeSync;
  fs.writeSync = function (fd, ...rest) {
    try {
      return writeSync.call(this, fd, ...rest);
    } catch (error) {
      if (fd === kernelAnswerFD && error.code === "EPIPE") {
        process.exit(0);
      }
      throw error;
    }
  };
} else if (process.argv[1] && process.argv[1].endsWith("jsii-runtime.js")) {
  process.stdout.on("error", (error) => {
    if (error.code !== "EPIPE") {
      throw error;
    }
  });
}

// 5. The kernel names itself: `ps` and the kernel's process accounting,
// which `make test` reads for its CPU by kind of process
// (internal/suitecpu), then tell it apart from the other Node.js processes
// (the cdktf CLI, npm). The accounting keeps the name of the thread that
// exits last, so every thread is named, not only the main one
// (process.title); threads started later take the name of the thread that
// starts them.
process.title = "jsii-kernel";
try {
  const fs = require("fs");
  for (const task of fs.readdirSync("/proc/self/task")) {
    fs.writeFileSync(`/proc/self/task/${task}/comm`, "jsii-kernel");
  }
} catch {
  // No /proc (macOS): the name is only for the report.
}
