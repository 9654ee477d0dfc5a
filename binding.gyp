{
  "targets": [
    {
      "target_name": "tsrun",
      "sources": [
        "addon/src/module.cc",
        "addon/src/errors.cc",
        "addon/src/fd.cc",
        "addon/src/files.cc",
        "addon/src/msg.cc",
        "addon/src/pidfd.cc",
        "addon/src/spawn.cc",
        "addon/src/clone3.cc",
        "addon/src/console.cc",
        "addon/src/bpf.cc",
        "addon/src/seccomp.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-fno-exceptions"],
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,-z,now", "-Wl,-z,relro", "-Wl,--exclude-libs,ALL", "-Wl,--gc-sections"],
      "cflags_cc+": ["-ffunction-sections", "-fdata-sections"],
      "libraries": ["-l:libseccomp.a"]
    }
  ]
}
