{
  "targets": [
    {
      "target_name": "nsbind",
      "sources": ["native/ns.c", "native/mount.c", "native/spawn.c", "native/loopback.c", "native/sandbox_mounts.c", "native/sandbox_privs.c", "native/spawn_sync.c", "native/addon.cc", "native/spawn_addon.cc",
                  "native/socket.c", "native/netlink.c", "native/lookup.c", "native/net_addon.cc",
                  "native/fdscan.c", "native/list_addon.cc", "native/pool.c", "native/mount_addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden", "-fstack-protector-strong"],
      "cflags_c": ["-std=gnu11", "-fno-builtin", "-fno-tree-loop-distribute-patterns"],
      "cflags_cc": ["-std=c++17"],
      "conditions": [
        ["OS!='linux'", {"type": "none"}]
      ]
    },
    {
      "target_name": "nsbind-init",
      "type": "none",
      "actions": [
        {
          "action_name": "nsbind-init",
          "inputs": ["native/init.c", "native/spawn.h"],
          "outputs": ["<(PRODUCT_DIR)/nsbind-init"],
          "action": ["cc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Os", "-static", "-s", "-o", "<@(_outputs)",
                     "native/init.c"]
        }
      ]
    }
  ]
}
