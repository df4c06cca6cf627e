// N-API glue for nsbind. The syscall logic lives in ns.c / spawn.c; this
// layer only checks and converts values (glue.h). Per-environment state lives
// in the Addon instance (napi_set_instance_data), so worker threads get their own.
#ifndef NSBIND_ADDON_H
#define NSBIND_ADDON_H

#include <uv.h>

#include <unordered_map>
#include <utility>

#include "glue.h"

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  ~Addon();

 private:
  // namespace handles, unshare/setns, nsfs queries (addon.cc)
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Dup(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Unshare(const Napi::CallbackInfo& info);
  Napi::Value Setns(const Napi::CallbackInfo& info);
  Napi::Value PidfdOpen(const Napi::CallbackInfo& info);
  Napi::Value Related(const Napi::CallbackInfo& info);
  Napi::Value ChildNamespace(const Napi::CallbackInfo& info);
  Napi::Value QueryInt(const Napi::CallbackInfo& info);
  Napi::Value OwnerUid(const Napi::CallbackInfo& info);
  Napi::Value QueryU64(const Napi::CallbackInfo& info);
  Napi::Value MntQuery(const Napi::CallbackInfo& info);
  Napi::Value OpenCwd(const Napi::CallbackInfo& info);
  Napi::Value Fchdir(const Napi::CallbackInfo& info);
  Napi::Value ErrnoName(const Napi::CallbackInfo& info);

  Napi::Value UserName(const Napi::CallbackInfo& info);

  // The fds handed to JS that JS closes with close() (namespace handles, pidfds, directories), with the file each
  // is open on: those still open when this environment goes away (a worker exits or is terminated, and its
  // FinalizationRegistry never runs) are closed then, as Node closes a FileHandle's.
  Napi::Value Owned(Napi::Value result, int fd);
  Napi::Value Disown(const Napi::CallbackInfo& info);
  std::unordered_map<int, std::pair<uint64_t, uint64_t>> owned_;

  // spawn and the children it watches (spawn_addon.cc)
  struct Child;
  struct Paused;
  Napi::Value Spawn(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Kill(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value SpawnSync(const Napi::CallbackInfo& info);
  static Napi::Value StepNames(napi_env env);
  static Napi::Value Limits(napi_env env);
  int Watch(napi_env env, int pidfd, napi_value on_exit, Paused* paused);
  void Forget(Child* child);
  static void ReleasePaused(Child* child);
  static void Teardown(napi_async_cleanup_hook_handle handle, void* data);
  static void OnReadable(uv_poll_t* handle, int status, int events);

  napi_env env_;
  uv_loop_t* loop_ = nullptr;                 // this environment's event loop
  bool worker_ = false;                       // a worker's (not the main thread's) environment
  std::unordered_map<int, Child*> children_;  // by pidfd, this environment's live children
  int closing_ = 0;                           // watchers whose uv_close has not completed
  napi_async_cleanup_hook_handle teardown_ = nullptr;
  // bind mounts that keep namespaces, /run/netns (mount_addon.cc)
  Napi::Value OpenDir(const Napi::CallbackInfo& info);
  Napi::Value PersistAt(const Napi::CallbackInfo& info);
  Napi::Value ReleaseAt(const Napi::CallbackInfo& info);
  Napi::Value UnlinkAt(const Napi::CallbackInfo& info);
  Napi::Value MakeSharedMountpoint(const Napi::CallbackInfo& info);
  // sockets and rtnetlink inside network namespaces, lookups (net_addon.cc)
  Napi::Value SocketAt(const Napi::CallbackInfo& info);
  Napi::Value NetlinkOpen(const Napi::CallbackInfo& info);
  Napi::Value NetlinkRequest(const Napi::CallbackInfo& info);
  Napi::Value BindSocket(const Napi::CallbackInfo& info);
  Napi::Value ConnectSocket(const Napi::CallbackInfo& info);
  Napi::Value SocketNetns(const Napi::CallbackInfo& info);
  Napi::Value Lookup(const Napi::CallbackInfo& info);
  // what lsns reads of a process: its namespaces, those its fds and sockets hold (list_addon.cc)
  Napi::Value ProcessNamespaces(const Napi::CallbackInfo& info);
  Napi::Value HeldNamespace(const Napi::CallbackInfo& info);
};

#endif
