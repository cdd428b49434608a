# joey's N-API addon: thread-safe, process-local syscalls Node lacks
# (docs/design.md §2). Plain C, no C++; built by `npm install` with
# `node-gyp rebuild --directory native/addon` into build/Release/joey_addon.node.
{
  "targets": [
    {
      "target_name": "joey_addon",
      "sources": [
        "addon.c",
        "args.c",
        "safe_open.c",
        "memfd.c",
        "pidfd.c",
        "scm.c",
        "fds.c",
        "wait.c",
        "tty.c",
        "bpf.c",
        "spawn.c",
        "files.c",
        "map.c",
        "replace.c",
        "exit.c",
        "overlay.c",
        "hash.c"
      ],
      "include_dirs": ["../common"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
