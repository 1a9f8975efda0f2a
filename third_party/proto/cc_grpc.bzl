"""skiff_cc_proto: C++ protobuf and gRPC code from .proto files, offline.

Bazel 4's native proto_library/cc_proto_library need @com_google_protobuf,
which cannot be downloaded here. This macro runs Debian's /usr/bin/protoc
(protobuf-compiler) and /usr/bin/grpc_cpp_plugin (protobuf-compiler-grpc) in a
genrule and wraps the generated code in a cc_library that links the system
libraries (//third_party/sys:protobuf, //third_party/sys:grpc++).

The proto root is the workspace root: `proto/skiff/v1/types.proto` is imported
as `import "proto/skiff/v1/types.proto";` and its header is included as
`#include "proto/skiff/v1/types.pb.h"` (gRPC stubs: `types.grpc.pb.h`).
Well-known types (google/protobuf/timestamp.proto, ...) come from
/usr/include and are compiled into libprotobuf.

Example (proto/skiff/v1/BUILD.bazel):

    load("//third_party/proto:cc_grpc.bzl", "skiff_cc_proto")

    skiff_cc_proto(name = "types_cc_proto", srcs = ["types.proto"], grpc = False)
    skiff_cc_proto(
        name = "system_cc_proto",
        srcs = ["system.proto"],
        deps = [":types_cc_proto"],
    )

Creates, for `name`:
  name            cc_library with the generated code; depend on this.
  name + "_gen"   the genrule running protoc.
  name + "_protos" filegroup of srcs plus the deps' .proto files (transitively),
                  which a dependent skiff_cc_proto needs to resolve imports.
"""

_PROTOC = "/usr/bin/protoc"
_GRPC_PLUGIN = "/usr/bin/grpc_cpp_plugin"

# Generated code is not ours to fix: it compiles without -Werror and without
# the warnings protoc's output is known to trip (unused parameters in stubs).
# Our own code that includes the generated headers still uses SKIFF_COPTS.
PROTO_COPTS = [
    "-Wno-unused-parameter",
    "-Wno-deprecated-declarations",
]

def _protos_label(dep):
    if ":" not in dep:
        fail("skiff_cc_proto deps need an explicit target name (\"//pkg:name\" or \":name\"): " + dep)
    return dep + "_protos"

def skiff_cc_proto(name, srcs, deps = [], grpc = True, visibility = None, testonly = None):
    """C++ code for `srcs` (.proto files of this package), and gRPC stubs if `grpc`.

    Args:
      name: name of the cc_library to create.
      srcs: .proto files, relative to this package.
      deps: other skiff_cc_proto targets whose .proto files `srcs` import.
      grpc: also generate and link gRPC service stubs (.grpc.pb.{h,cc}).
      visibility: visibility of the cc_library and of the .proto filegroup.
      testonly: passed through.
    """
    pkg = native.package_name()
    bases = []
    for s in srcs:
        if not s.endswith(".proto") or s.startswith(":") or s.startswith("//"):
            fail("skiff_cc_proto srcs are .proto file names in this package: " + s)
        bases.append(s[:-len(".proto")])

    hdrs = [b + ".pb.h" for b in bases]
    cc_srcs = [b + ".pb.cc" for b in bases]
    if grpc:
        hdrs += [b + ".grpc.pb.h" for b in bases]
        cc_srcs += [b + ".grpc.pb.cc" for b in bases]

    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [_protos_label(d) for d in deps],
        visibility = visibility,
        testonly = testonly,
    )

    # protoc runs from the execroot, where this workspace's files sit at their
    # workspace-relative paths; -I. makes that the proto root, so outputs land
    # in $(GENDIR)/<pkg>/<base>.pb.cc, which is where Bazel expects `outs`.
    args = [_PROTOC, "-I.", "-I/usr/include", "--cpp_out=$(GENDIR)"]
    if grpc:
        args += [
            "--plugin=protoc-gen-grpc=" + _GRPC_PLUGIN,
            "--grpc_out=$(GENDIR)",
        ]
    args += [(pkg + "/" + s) if pkg else s for s in srcs]

    native.genrule(
        name = name + "_gen",
        srcs = [":" + name + "_protos"],
        outs = hdrs + cc_srcs,
        cmd = " ".join(args),
        message = "protoc " + " ".join(srcs),
        visibility = ["//visibility:private"],
        testonly = testonly,
    )

    lib_deps = list(deps) + ["//third_party/sys:protobuf"]
    if grpc:
        lib_deps.append("//third_party/sys:grpc++")
    native.cc_library(
        name = name,
        srcs = cc_srcs,
        hdrs = hdrs,
        copts = PROTO_COPTS,
        deps = lib_deps,
        visibility = visibility,
        testonly = testonly,
    )
